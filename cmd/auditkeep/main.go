// Command auditkeep runs the auditkeep service and administers it.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"unicode/utf8"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		if code, ok := err.(exitCode); ok {
			os.Exit(int(code))
		}
		fmt.Fprintln(os.Stderr, "auditkeep:", err)
		os.Exit(1)
	}
}

// exitCode is an error that only carries a process exit status.
type exitCode int

func (c exitCode) Error() string { return fmt.Sprintf("exit status %d", int(c)) }

// run is the whole program, so tests start it in-process.
func run(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) (err error) {
	cli := &CLI{}
	parser, err := newParser(cli, env, stdout, stderr)
	if err != nil {
		return err
	}
	defer func() {
		// kong exits after --help and on usage errors; exitFunc turns that
		// into a panic we end here, so tests are not killed.
		if v := recover(); v != nil {
			code, ok := v.(exitCode)
			if !ok {
				panic(v)
			}
			if code != 0 {
				err = code
			}
		}
	}()
	// kong would turn invalid UTF-8 into U+FFFD, and a tenant would be
	// created with a name nobody typed.
	for i, a := range args {
		if !utf8.ValidString(a) {
			fmt.Fprintf(stderr, "auditkeep: argument %d is not valid UTF-8\n", i+1)
			return exitCode(2)
		}
	}
	kctx, err := parser.Parse(args)
	if err != nil {
		fmt.Fprintln(stderr, "auditkeep:", err)
		return exitCode(2)
	}
	err = kctx.Run(&Env{Ctx: ctx, Stdout: stdout, Stderr: stderr, Getenv: env})
	// kong wraps what a command returns; an exit status must reach main
	// bare, or it would be printed as an error besides.
	var code exitCode
	if errors.As(err, &code) {
		return code
	}
	return err
}
