package stack

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"golang.org/x/mod/modfile"
)

// FunctionPackage is the main package of ProcessOrderLambda, relative to the
// module root.
const FunctionPackage = "./cmd/processorder"

// GoBuild compiles the function for Lambda's provided.al2023 runtime and
// packs it as a deployment archive.
type GoBuild struct {
	ModuleDir string // root of the orderpipe module
	OutDir    string // where archives are written; one per architecture
	Go        string // the go command; "go" when empty
}

// goArch maps a Lambda architecture to Go's GOARCH.
func goArch(lambdaArch string) (string, error) {
	switch lambdaArch {
	case "arm64":
		return "arm64", nil
	case "x86_64":
		return "amd64", nil
	}
	return "", fmt.Errorf("unknown Lambda architecture %q", lambdaArch)
}

// Build compiles FunctionPackage for arch ("arm64" or "x86_64") and returns
// the path of a zip archive holding the executable "bootstrap".
//
// An archive built before from the same sources, go.mod, go.sum, toolchain
// and architecture is reused: even a cached go build takes a second, most
// of a warm preview.
func (b GoBuild) Build(ctx context.Context, arch string) (string, error) {
	goarch, err := goArch(arch)
	if err != nil {
		return "", err
	}
	toolchain, err := Toolchain(b.ModuleDir)
	if err != nil {
		return "", fmt.Errorf("build function: %w", err)
	}
	dir := filepath.Join(b.OutDir, "linux-"+goarch)
	out := filepath.Join(dir, "bootstrap.zip")
	key, err := sourceKey(b.ModuleDir, toolchain, goarch)
	if err != nil {
		return "", fmt.Errorf("build function: %w", err)
	}
	if had, err := os.ReadFile(out + ".key"); err == nil && string(had) == key {
		if _, err := os.Stat(out); err == nil {
			return out, nil
		}
	}
	tmp, err := os.MkdirTemp("", "orderpipe-build-")
	if err != nil {
		return "", fmt.Errorf("build function: %w", err)
	}
	defer os.RemoveAll(tmp)

	goCmd := b.Go
	if goCmd == "" {
		goCmd = "go"
	}
	bin := filepath.Join(tmp, "bootstrap")
	// -trimpath, an empty build id and no VCS stamp keep the binary free of
	// paths, timestamps and commit ids; lambda.norpc drops the RPC mode that
	// provided.* runtimes never use.
	cmd := exec.CommandContext(ctx, goCmd, "build",
		"-trimpath", "-buildvcs=false", "-tags", "lambda.norpc",
		"-ldflags", "-s -w -buildid=",
		"-o", bin, FunctionPackage)
	cmd.Dir = b.ModuleDir
	cmd.Env = buildEnv(os.Environ(), goarch, toolchain)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("build function (%s %s for linux/%s in %s): %w\n%s",
			goCmd, FunctionPackage, goarch, b.ModuleDir, err, stderr.Bytes())
	}

	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("build function: %w", err)
	}
	if err := writeZip(bin, out); err != nil {
		return "", fmt.Errorf("pack function: %w", err)
	}
	if err := os.WriteFile(out+".key", []byte(key), 0o644); err != nil {
		return "", fmt.Errorf("pack function: %w", err)
	}
	return out, nil
}

// sourceKey is a digest of everything the function's binary is built from:
// the module's Go sources (all of them: more than the function imports,
// which only costs a rebuild now and then), go.mod and go.sum (which pin
// every dependency), the toolchain and the architecture.
func sourceKey(moduleDir, toolchain, goarch string) (string, error) {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00", toolchain, goarch)
	err := filepath.WalkDir(moduleDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != moduleDir && (strings.HasPrefix(name, ".") || name == "bin" || name == "node_modules" || name == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !(strings.HasSuffix(name, ".go") && !strings.HasSuffix(name, "_test.go")) && name != "go.mod" && name != "go.sum" {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(moduleDir, path)
		fmt.Fprintf(h, "%s\x00%d\x00", filepath.ToSlash(rel), len(data))
		h.Write(data)
		return nil
	})
	return hex.EncodeToString(h.Sum(nil)), err
}

// Toolchain is the Go toolchain the function is built with: the toolchain
// line of the module's go.mod. The go line is only a minimum; without a pin,
// each machine would build with whatever Go it has, and a laptop and CI
// would deploy different bytes for the same source.
func Toolchain(moduleDir string) (string, error) {
	data, err := os.ReadFile(filepath.Join(moduleDir, "go.mod"))
	if err != nil {
		return "", err
	}
	f, err := modfile.Parse("go.mod", data, nil)
	if err != nil {
		return "", err
	}
	if f.Toolchain == nil {
		return "", fmt.Errorf("%s has no toolchain line: the function's build pins the Go toolchain with it", filepath.Join(moduleDir, "go.mod"))
	}
	return f.Toolchain.Name, nil
}

// passedEnv are the variables of the caller's environment the build sees:
// where Go finds and keeps modules, caches and proxies. Nothing else of it
// reaches the compiler: GOFLAGS, GOAMD64, GOARM64, GOEXPERIMENT, a go.work
// and the like would change the binary.
var passedEnv = []string{
	"PATH", "HOME", "TMPDIR", "GOPATH", "GOMODCACHE", "GOCACHE", "GOTMPDIR", "GOENV",
	"GOPROXY", "GOSUMDB", "GONOSUMDB", "GOPRIVATE", "GONOPROXY", "GOINSECURE", "GOAUTH",
	"HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy", "SSL_CERT_FILE", "SSL_CERT_DIR",
}

// buildEnv is the environment of the function's build: the passed variables
// of environ, and every setting that decides the binary, set explicitly so
// that neither the environment nor a go env file can change it.
func buildEnv(environ []string, goarch, toolchain string) []string {
	var env []string
	for _, kv := range environ {
		if k, _, _ := strings.Cut(kv, "="); slices.Contains(passedEnv, k) {
			env = append(env, kv)
		}
	}
	return append(env,
		"GOOS=linux", "GOARCH="+goarch, "CGO_ENABLED=0", "GOTOOLCHAIN="+toolchain,
		"GOFLAGS=", "GOAMD64=v1", "GOARM64=v8.0", "GOEXPERIMENT=", "GOFIPS140=off", "GOWORK=off",
	)
}

// writeZip packs the executable at bin as "bootstrap" into a zip at out. It
// writes to a temporary file first, so that two stacks building at once never
// read a half-written archive.
func writeZip(bin, out string) (err error) {
	src, err := os.Open(bin)
	if err != nil {
		return err
	}
	defer src.Close()

	f, err := os.CreateTemp(filepath.Dir(out), ".bootstrap-*.zip")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()

	zw := zip.NewWriter(f)
	// A fixed modification time is what makes two builds of the same source
	// byte-identical, so that `pulumi up` shows no change on the function
	// when its code did not change.
	h := &zip.FileHeader{Name: "bootstrap", Method: zip.Deflate, Modified: time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)}
	h.SetMode(0o755) // Lambda runs bootstrap directly: it must be executable.
	w, err := zw.CreateHeader(h)
	if err != nil {
		return err
	}
	if _, err := io.Copy(w, src); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), out)
}
