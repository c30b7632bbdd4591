// Command vigil is the whole of Vigil: server, demo and administration.
package main

import (
	"context"
	"os"

	"vigil/internal/cli"
)

func main() {
	os.Exit(cli.Main(context.Background(), cli.Env{Args: os.Args[1:], Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv}))
}
