//go:build !js

package gpu

type jsValue struct{}
