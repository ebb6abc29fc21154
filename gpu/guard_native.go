//go:build !js

package gpu

// guard runs create; natively the binding already turns validation errors
// of shader and pipeline creation into returned errors.
func (d *Device) guard(create func()) error {
	create()
	return nil
}
