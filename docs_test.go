package main

import (
	"bufio"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// docCommands are the shell commands of the README's and docs/' sh blocks,
// comments and option brackets removed, with where they stand.
func docCommands(t *testing.T) map[string][]string {
	files, err := filepath.Glob("docs/*.md")
	if err != nil {
		t.Fatal(err)
	}
	cmds := map[string][]string{}
	for _, f := range append(files, "README.md") {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		in := false
		sc := bufio.NewScanner(strings.NewReader(string(b)))
		for n := 1; sc.Scan(); n++ {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "```sh"):
				in = true
			case strings.HasPrefix(line, "```"):
				in = false
			case in:
				line, _, _ = strings.Cut(line, " #")
				line = strings.NewReplacer("[", "", "]", "", "sudo ", "").Replace(strings.TrimSpace(line))
				if line != "" {
					cmds[line] = append(cmds[line], f+":"+strconv.Itoa(n))
				}
			}
		}
	}
	if len(cmds) < 10 {
		t.Fatalf("found only %d commands", len(cmds))
	}
	return cmds
}

// Every command the documentation shows still works as written: the
// orderpipe commands take its subcommands and flags, go test's packages hold
// the tests and benchmarks it names, go build's packages exist. What needs
// an AWS account or a Pulumi install (pulumi …) is run by nothing here and
// is left out; the commands that run the pipeline are run by the tests of
// cmd/orderpipe and cmd/orderpipe-env.
func TestDocumentedCommands(t *testing.T) {
	bins := map[string]string{}
	for _, c := range []string{"orderpipe", "orderpipe-env"} {
		bins[c] = filepath.Join(t.TempDir(), c)
		if out, err := exec.Command("go", "build", "-o", bins[c], "./cmd/"+c).CombinedOutput(); err != nil {
			t.Fatalf("build %s: %v\n%s", c, err, out)
		}
	}
	checked := 0
	for line, where := range docCommands(t) {
		args := strings.Fields(line)
		switch {
		case len(args) > 2 && args[0] == "go" && args[1] == "run" && strings.HasPrefix(args[2], "./cmd/orderpipe"):
			bin := bins[strings.TrimPrefix(args[2], "./cmd/")]
			if bin == "" {
				t.Errorf("%v: %s: no such command", where, line)
				continue
			}
			// Flags are parsed before --help is honoured: an unknown
			// subcommand or flag fails.
			if out, err := exec.Command(bin, append(args[3:], "--help")...).CombinedOutput(); err != nil {
				t.Errorf("%v: %s: %v\n%s", where, line, err, out)
			}
		case len(args) > 2 && args[0] == "go" && args[1] == "test":
			checkGoTest(t, where, args[2:])
		case len(args) > 2 && args[0] == "go" && args[1] == "build":
			pkg := args[len(args)-1]
			if out, err := exec.Command("go", "list", pkg).CombinedOutput(); err != nil {
				t.Errorf("%v: %s: %v\n%s", where, line, err, out)
			}
		default:
			continue
		}
		checked++
	}
	if checked < 10 {
		t.Errorf("checked only %d commands", checked)
	}
}

// checkGoTest checks that the packages exist and that -run and -bench each
// match a test or benchmark in them.
func checkGoTest(t *testing.T, where []string, args []string) {
	var pkgs []string
	patterns := map[string]string{}
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case (a == "-run" || a == "-bench") && i+1 < len(args):
			patterns[a] = strings.Trim(args[i+1], `'"`)
			i++
		case a == "-benchtime" || a == "-count":
			i++
		case !strings.HasPrefix(a, "-") && a != "&&":
			pkgs = append(pkgs, a)
		}
	}
	out, err := exec.Command("go", append([]string{"list", "-f", "{{.Dir}}"}, pkgs...)...).Output()
	if err != nil {
		t.Errorf("%v: go test %s: no such package", where, strings.Join(args, " "))
		return
	}
	var funcs []string
	for _, dir := range strings.Fields(string(out)) {
		files, _ := filepath.Glob(filepath.Join(dir, "*_test.go"))
		for _, f := range files {
			file, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.SkipObjectResolution)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range file.Decls {
				if fn, ok := d.(*ast.FuncDecl); ok && fn.Recv == nil {
					funcs = append(funcs, fn.Name.Name)
				}
			}
		}
	}
	for flag, pattern := range patterns {
		if pattern == "^$" {
			continue
		}
		re, err := regexp.Compile(pattern)
		if err != nil {
			t.Errorf("%v: %s %q: %v", where, flag, pattern, err)
			continue
		}
		prefix := map[string]string{"-run": "Test", "-bench": "Benchmark"}[flag]
		found := false
		for _, fn := range funcs {
			found = found || strings.HasPrefix(fn, prefix) && re.MatchString(strings.TrimPrefix(fn, prefix))
		}
		if !found {
			t.Errorf("%v: go test %s %s: no %s matches in %v", where, flag, pattern, prefix, pkgs)
		}
	}
}
