//go:build amd64

package compute

import "golang.org/x/sys/cpu"

// hasAsm reports whether the assembly loops (cpuasm.go) run on this CPU:
// AVX2 and FMA, with the operating system saving the YMM registers (which
// cpu.X86.HasAVX2 includes).
var hasAsm = cpu.X86.HasAVX2 && cpu.X86.HasFMA
