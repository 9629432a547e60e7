package automation_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orderpipe/orderpipe/automation"
)

// awsPluginVersion is the pulumi-aws version of go.mod, as the harness's
// stand-in provider reports it.
func awsPluginVersion(h harness) string { return h.Provider.Version }

// A PULUMI_HOME without the AWS provider plugin gets it installed through
// the Automation API before the first operation, from where the CLI
// downloads plugins: here a server that PULUMI_PLUGIN_DOWNLOAD_URL_OVERRIDES
// (the CLI's documented override) points pulumi's GitHub releases at. The
// CLI asks it for the release asset of go.mod's version, named as Pulumi
// names them (pulumi-resource-aws-v<version>-<os>-<arch>.tar.gz), and the
// plugin is installed in that PULUMI_HOME.
func TestMissingPluginIsInstalled(t *testing.T) {
	h := newHarness(t)
	version := awsPluginVersion(h)
	want := fmt.Sprintf("/pulumi-resource-aws-v%s-%s-%s.tar.gz", version, runtime.GOOS, runtime.GOARCH)
	var mu sync.Mutex
	var asked []string
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		asked = append(asked, r.URL.Path)
		mu.Unlock()
		if r.URL.Path != want {
			http.NotFound(w, r)
			return
		}
		w.Write(pluginArchive(t))
	})}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(l)
	defer srv.Close()

	opts := h.options(t, t.TempDir())
	opts.PulumiHome = t.TempDir() // no plugin installed
	opts.EnvVars = map[string]string{
		"PULUMI_PLUGIN_DOWNLOAD_URL_OVERRIDES": "^github://api.github.com/pulumi=http://" + l.Addr().String(),
		"PULUMI_CONFIG_PASSPHRASE":             "test",
	}
	env, err := automation.New(context.Background(), opts)
	if err != nil {
		t.Fatalf("new environment: %v (the server was asked for %q)", err, asked)
	}
	defer env.Close(context.Background())
	mu.Lock()
	defer mu.Unlock()
	if !strings.Contains(strings.Join(asked, " "), want) {
		t.Errorf("the server was asked for %q, want %s", asked, want)
	}
	plugins, _, _, err := h.Pulumi.Run(context.Background(), t.TempDir(), nil, nil, nil,
		[]string{"PULUMI_HOME=" + opts.PulumiHome}, "plugin", "ls", "--json")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(plugins, `"name": "aws"`) || !strings.Contains(plugins, `"version": "`+version+`"`) {
		t.Errorf("installed plugins: %s; want aws %s", plugins, version)
	}
}

// pluginArchive is a release asset as Pulumi publishes it: a gzipped tar with
// the plugin's executable at its root.
func pluginArchive(t *testing.T) []byte {
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	body := []byte("#!/bin/sh\necho 'not a real provider' >&2\nexit 1\n")
	if err := tw.WriteHeader(&tar.Header{Name: "pulumi-resource-aws", Mode: 0o755, Size: int64(len(body)), ModTime: time.Now()}); err != nil {
		t.Fatal(err)
	}
	tw.Write(body)
	tw.Close()
	gz.Close()
	return buf.Bytes()
}

// Where the install cannot reach its source (no network, here a port where
// nothing listens), the error is one line naming the plugin, why, and the
// command that installs it.
func TestMissingPluginOfflineIsOneLine(t *testing.T) {
	h := newHarness(t)
	free, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	nobody := free.Addr().String()
	free.Close()
	opts := h.options(t, t.TempDir())
	opts.PulumiHome = t.TempDir()
	opts.EnvVars = map[string]string{
		"PULUMI_PLUGIN_DOWNLOAD_URL_OVERRIDES": "^github://api.github.com/pulumi=http://" + nobody,
		"PULUMI_CONFIG_PASSPHRASE":             "test",
	}
	start := time.Now()
	_, err = automation.New(context.Background(), opts)
	t.Logf("failed after %v: %v", time.Since(start), err)
	version := awsPluginVersion(h)
	if err == nil || strings.Contains(err.Error(), "\n") ||
		!strings.Contains(err.Error(), "the Pulumi AWS provider plugin "+version+" is not installed and could not be installed (") ||
		!strings.HasSuffix(err.Error(), "install it with: pulumi plugin install resource aws v"+version) {
		t.Fatalf("error %q; want one line naming the plugin, why, and the command", err)
	}
}
