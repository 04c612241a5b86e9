// Command hangar runs Hangar's services and its command-line tools.
//
//	hangar all            every service on one port (/config, /convert, …)
//	hangar <service>      one service alone, answering POST / as well
//	hangar call URL       send a correctly signed request and print the answer
package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"os/signal"
	"slices"
	"syscall"

	"github.com/hangar-ci/hangar/services/convert"
	"github.com/hangar-ci/hangar/shared/envconf"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], envconf.Env, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "hangar:", err)
		os.Exit(1)
	}
}

// run dispatches a command line; every failure comes back here.
func run(ctx context.Context, args []string, lookup envconf.Lookup, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		usage(stderr)
		return fmt.Errorf("no command given")
	}
	cmd, rest := args[0], args[1:]
	// A service name alone runs the service; with arguments it may be a
	// tool of the same name (`hangar convert FILE` renders a file).
	_, isService := builderFor(cmd)
	if tool, ok := tools[cmd]; ok && !(isService && len(rest) == 0) {
		return tool(ctx, rest, lookup, stdout, stderr)
	}
	switch cmd {
	case "all":
		return serve(ctx, lookup, stdout, false, names()...)
	case "help", "-h", "--help":
		usage(stdout)
		return nil
	}
	if isService {
		return serve(ctx, lookup, stdout, true, cmd)
	}
	usage(stderr)
	return fmt.Errorf("unknown command %q", cmd)
}

// internalTools are subcommands the binary runs of itself, not for people.
var internalTools = map[string]bool{convert.WorkerArg: true}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: hangar all | hangar <service> | hangar <tool> [args]")
	fmt.Fprintln(w, "services:", names())
	var shown []string
	for _, name := range slices.Sorted(maps.Keys(tools)) {
		if !internalTools[name] {
			shown = append(shown, name)
		}
	}
	fmt.Fprintln(w, "tools:   ", shown, "(hangar <tool> -h for each)")
}
