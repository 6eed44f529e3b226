// Command ivvy-notify is the self-hostable iVvy account notification server.
// Run "ivvy-notify serve" to start it; "ivvy-notify --help" lists the rest.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/ivvy-notify/ivvy-notify/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], cli.IO{Stdout: os.Stdout, Stderr: os.Stderr, LookupEnv: os.LookupEnv})
	stop()
	os.Exit(code)
}
