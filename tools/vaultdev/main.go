// Command vault is HashiCorp's Vault CLI and server, built from module
// sources with the `minimal` build tag so Hangar's tests can start a real
// `vault server -dev` on machines where no release binary can be downloaded.
// It is a test-only tool (BUSL-1.1); never ship the binary.
package main

import (
	"os"

	"github.com/hashicorp/vault/command"
)

func main() {
	os.Exit(command.Run(os.Args[1:]))
}
