// Command otplay is optimal transport and OT-driven diffusion on this
// machine's GPU: it serves the playground, runs solvers and samplers in
// batch, checks the GPU against the CPU reference, and benchmarks.
//
// Usage:
//
//	otplay <command> [flags]
//
// Each command prints its own help with -h, to stdout (so that
// `otplay solve -h | less` works). A usage error prints the error, the
// command's one-line synopsis and how to get help, to stderr, and exits 2;
// failed checks and runtime errors exit 1. `otplay version` (or --version)
// prints the module version, commit, Go version and WebGPU binding.
//
// Outputs are written through internal/safefile (a temporary file renamed
// into place, checked before the work starts); SIGINT and SIGTERM remove
// temporary files in flight and exit 130 / 143 (serve and app shut down
// gracefully instead). JSON reports go through
// internal/jsonout: a NaN or infinite value is written as null and listed
// in the report's "nonfinite" member. Progress bars (count, rate, ETA) are
// drawn on stderr only when it is a terminal.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"

	"github.com/otplay/otplay/internal/safefile"
)

// command is one subcommand. run returns the process exit status.
type command struct {
	name    string
	summary string
	run     func(args []string, stdout, stderr io.Writer) int
}

var commands = map[string]command{}

// register adds a subcommand; each command's file calls it from init.
func register(c command) {
	if _, dup := commands[c.name]; dup {
		panic("otplay: command registered twice: " + c.name)
	}
	commands[c.name] = c
}

// handlesOwnSignals names the commands that shut down gracefully on
// SIGINT and SIGTERM themselves (the server and the desktop window); the
// others get safefile's handler, which removes temporary files in flight.
var handlesOwnSignals = map[string]bool{"serve": true, "app": true}

func main() {
	if len(os.Args) < 2 || !handlesOwnSignals[os.Args[1]] {
		safefile.HandleSignals()
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		usage(stdout)
		return 0
	case "-version", "--version":
		return runVersion(args[1:], stdout, stderr)
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "otplay: unknown command %q\n\n", args[0])
		usage(stderr)
		return 2
	}
	return c.run(args[1:], stdout, stderr)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "otplay: optimal transport and OT-driven diffusion on your GPU")
	fmt.Fprintln(w, "\nUsage: otplay <command> [flags]   (otplay <command> -h for its flags)")
	fmt.Fprintln(w, "\nCommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].summary)
	}
}

// flagMeta is what parseFlags needs to print help and usage errors.
type flagMeta struct {
	synopsis       string
	stdout, stderr io.Writer
}

var flagMetas sync.Map // *flag.FlagSet -> flagMeta

// newCommandFlags returns a FlagSet for a subcommand: -h prints the
// synopsis and the flags to stdout; a usage error is reported (and turned
// into exit status 2) by parseFlags.
func newCommandFlags(name, synopsis string, stdout, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	synopsis = strings.TrimSpace(synopsis)
	// For commands that call fs.Parse themselves: flag's error goes to
	// stderr and -h (or fs.Usage()) prints the help to stdout. parseFlags
	// replaces both while it parses.
	fs.SetOutput(stderr)
	fs.Usage = func() { printHelp(stdout, fs, synopsis) }
	flagMetas.Store(fs, flagMeta{synopsis: synopsis, stdout: stdout, stderr: stderr})
	return fs
}

// parseFlags parses args; it returns (status, false) when the command
// must stop: 0 after -h (the help printed to stdout), 2 on a usage error
// (the error, the one-line synopsis and a pointer to -h on stderr).
func parseFlags(fs *flag.FlagSet, args []string) (int, bool) {
	v, _ := flagMetas.Load(fs)
	m, _ := v.(flagMeta)
	if m.stdout == nil {
		m = flagMeta{stdout: os.Stdout, stderr: os.Stderr}
	}
	usage, out := fs.Usage, fs.Output()
	fs.Usage = func() {}
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	fs.Usage = usage
	fs.SetOutput(out)
	if errors.Is(err, flag.ErrHelp) {
		printHelp(m.stdout, fs, m.synopsis)
		return 0, false
	}
	if err == nil && fs.NArg() > 0 {
		err = fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if err != nil {
		return usageError(m.stderr, fs.Name(), m.synopsis, err), false
	}
	return 0, true
}

// usageError prints a usage error of command name and returns 2.
func usageError(w io.Writer, name, synopsis string, err error) int {
	line, _, _ := strings.Cut(synopsis, "\n")
	fmt.Fprintf(w, "otplay %s: %v\nUsage: otplay %s\nRun 'otplay %s -h' for its flags.\n", name, err, line, name)
	return 2
}

func printHelp(w io.Writer, fs *flag.FlagSet, synopsis string) {
	fmt.Fprintf(w, "Usage: otplay %s\n\nFlags:\n", synopsis)
	out := fs.Output()
	fs.SetOutput(w)
	fs.PrintDefaults()
	fs.SetOutput(out)
}
