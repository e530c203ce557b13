// Command hello prints a greeting: the example project of Rigger's README.
package main

import (
	"flag"
	"fmt"

	"github.com/rigger-ci/rigger/examples/hello/greet"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	showVersion := flag.Bool("version", false, "print the version and exit")
	flag.Parse()
	if *showVersion {
		fmt.Println(version)
		return
	}
	fmt.Println(greet.Hello(flag.Arg(0)))
}
