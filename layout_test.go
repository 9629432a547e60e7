package main

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/orderpipe/orderpipe"

// The packages depend one way: cmd/ wires, internal/ packages import no
// package outside internal/, and nothing imports a command.
func TestImportsRunOneWay(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}:{{join .Imports " "}}`, "./...").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, imports, _ := strings.Cut(line, ":")
		for _, imp := range strings.Fields(imports) {
			if !strings.HasPrefix(imp, module+"/") {
				continue
			}
			switch {
			case strings.HasPrefix(imp, module+"/cmd/"):
				t.Errorf("%s imports the command %s", pkg, imp)
			case strings.HasPrefix(pkg, module+"/internal/") && !strings.HasPrefix(imp, module+"/internal/"):
				t.Errorf("%s reaches up to %s", pkg, imp)
			}
		}
	}
}

// The README's first command compiles no Pulumi SDK: its first run is a
// minute, not several (docs/development.md has the measurement).
func TestOrderpipeCommandHoldsNoPulumi(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "./cmd/orderpipe").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, dep := range strings.Fields(string(out)) {
		if strings.HasPrefix(dep, "github.com/pulumi/") {
			t.Fatalf("cmd/orderpipe depends on %s", dep)
		}
	}
}
