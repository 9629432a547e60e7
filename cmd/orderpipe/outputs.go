package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/orderpipe/orderpipe/internal/backendurl"
)

// stackFlags name a deployed stack and where its state is, as orderpipe-env
// names them.
type stackFlags struct {
	name, backend, stateDir, pulumiRoot, region, projectDir string
}

// outputs reads the stack's outputs with the Pulumi CLI (`pulumi stack
// output --json`), which keeps the Pulumi SDK out of this command.
func (f stackFlags) outputs(ctx context.Context) (map[string]any, error) {
	dir, err := projectDir(f.projectDir)
	if err != nil {
		return nil, err
	}
	pulumi := "pulumi"
	if f.pulumiRoot != "" {
		pulumi = filepath.Join(f.pulumiRoot, "bin", "pulumi")
	}
	env := append(os.Environ(), "PULUMI_SKIP_UPDATE_CHECK=true")
	backend := f.backend
	if backend == "" {
		backend = "file://" + filepath.ToSlash(f.stateDir)
	}
	// Resolved here: the CLI runs in the project's directory, not in the
	// one a relative path was written from.
	backend, err = backendurl.Resolve(backend)
	if err != nil {
		return nil, fmt.Errorf("state backend: %w", err)
	}
	env = append(env, "PULUMI_BACKEND_URL="+backend)
	if _, ok := os.LookupEnv("PULUMI_CONFIG_PASSPHRASE"); !ok && os.Getenv("PULUMI_CONFIG_PASSPHRASE_FILE") == "" {
		// Ephemeral stacks hold no secrets; a self-managed backend still
		// wants a passphrase to be set.
		env = append(env, "PULUMI_CONFIG_PASSPHRASE=")
	}
	cmd := exec.CommandContext(ctx, pulumi, "stack", "output", "--json", "--stack", f.name)
	cmd.Dir, cmd.Env = dir, env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if errors.Is(err, exec.ErrNotFound) {
		return nil, fmt.Errorf("--stack needs the Pulumi CLI: install it (https://www.pulumi.com/docs/install/), or build the pinned one with tools/install and pass --pulumi-root bin/pulumi-cli")
	}
	if err != nil {
		return nil, fmt.Errorf("read the outputs of stack %s: %s", f.name, firstLine(stderr.String(), err))
	}
	var m map[string]any
	if err := json.Unmarshal(out, &m); err != nil {
		return nil, fmt.Errorf("read the outputs of stack %s: %w", f.name, err)
	}
	return m, nil
}

// projectDir is dir, or the directory above the working directory that holds
// the orderpipe project's Pulumi.yaml.
func projectDir(dir string) (string, error) {
	if dir != "" {
		if _, err := os.Stat(filepath.Join(dir, "Pulumi.yaml")); err != nil {
			return "", fmt.Errorf("--project-dir %s holds no Pulumi.yaml", dir)
		}
		return dir, nil
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "Pulumi.yaml")); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("%s is not inside the orderpipe project: run orderpipe from the directory that holds Pulumi.yaml, or pass --project-dir", wd)
		}
	}
}

// firstLine is the first line of what the CLI said that reads as an error,
// or err.
func firstLine(stderr string, err error) string {
	for _, l := range strings.Split(stderr, "\n") {
		if l = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(l), "error:")); l != "" {
			return l
		}
	}
	return err.Error()
}
