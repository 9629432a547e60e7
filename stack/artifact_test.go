package stack

import (
	"archive/zip"
	"bytes"
	"context"
	"debug/buildinfo"
	"debug/elf"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// copyModule copies what the function's build needs to a new directory, so
// that a second build runs from another path.
func copyModule(t *testing.T, to string) {
	t.Helper()
	for _, dir := range []string{"function", "cmd/processorder", "internal/sdkbody"} {
		if err := os.CopyFS(filepath.Join(to, dir), os.DirFS(filepath.Join("..", dir))); err != nil {
			t.Fatal(err)
		}
	}
	for _, file := range []string{"go.mod", "go.sum"} {
		if err := os.WriteFile(filepath.Join(to, file), readFile(t, filepath.Join("..", file)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// Two builds of the same source, from different checkouts and with different
// Go build caches, give byte-identical archives: `pulumi up` then shows no
// change on the function code.
func TestBuildIsReproducible(t *testing.T) {
	ctx := context.Background()
	moduleDir, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	first, err := GoBuild{ModuleDir: moduleDir, OutDir: t.TempDir()}.Build(ctx, "arm64")
	if err != nil {
		t.Fatal(err)
	}

	elsewhere := filepath.Join(t.TempDir(), "another", "checkout")
	copyModule(t, elsewhere)
	t.Setenv("GOCACHE", t.TempDir())
	second, err := GoBuild{ModuleDir: elsewhere, OutDir: t.TempDir()}.Build(ctx, "arm64")
	if err != nil {
		t.Fatal(err)
	}

	a, b := readFile(t, first), readFile(t, second)
	if !bytes.Equal(a, b) {
		t.Fatalf("archives differ: %s (%d bytes) and %s (%d bytes)", first, len(a), second, len(b))
	}
	for _, dir := range []string{moduleDir, elsewhere} {
		if bytes.Contains(unzipBootstrap(t, a), []byte(dir)) {
			t.Errorf("the executable holds the build path %s", dir)
		}
	}
}

// The caller's environment does not reach the compiler: a build with GOFLAGS,
// GOAMD64, GOEXPERIMENT and a go.work set gives the same bytes as a clean
// one, built by the toolchain go.mod pins.
func TestBuildIgnoresTheEnvironment(t *testing.T) {
	ctx := context.Background()
	moduleDir, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	clean, err := GoBuild{ModuleDir: moduleDir, OutDir: t.TempDir()}.Build(ctx, "x86_64")
	if err != nil {
		t.Fatal(err)
	}
	work := filepath.Join(t.TempDir(), "go.work")
	if err := os.WriteFile(work, []byte("go 1.26.6\n\nuse "+moduleDir+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{
		"GOFLAGS": "-gcflags=all=-N", "GOAMD64": "v3", "GOEXPERIMENT": "jsonv2", "GOWORK": work, "GOTOOLCHAIN": "local",
	} {
		t.Setenv(k, v)
	}
	polluted, err := GoBuild{ModuleDir: moduleDir, OutDir: t.TempDir()}.Build(ctx, "x86_64")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(readFile(t, clean), readFile(t, polluted)) {
		t.Fatal("the environment changed the archive")
	}

	want, err := Toolchain(moduleDir)
	if err != nil {
		t.Fatal(err)
	}
	exe := filepath.Join(t.TempDir(), "bootstrap")
	if err := os.WriteFile(exe, unzipBootstrap(t, readFile(t, clean)), 0o755); err != nil {
		t.Fatal(err)
	}
	info, err := buildinfo.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	if info.GoVersion != want {
		t.Errorf("built by %s, want %s, the toolchain go.mod pins", info.GoVersion, want)
	}
	for _, s := range info.Settings {
		if s.Key == "GOAMD64" && s.Value != "v1" || s.Key == "-gcflags" || s.Key == "GOEXPERIMENT" {
			t.Errorf("build setting %s=%s reached the build", s.Key, s.Value)
		}
	}
}

func TestBuildArchive(t *testing.T) {
	for _, tt := range []struct {
		arch    string
		machine elf.Machine
	}{{"arm64", elf.EM_AARCH64}, {"x86_64", elf.EM_X86_64}} {
		t.Run(tt.arch, func(t *testing.T) {
			path, err := GoBuild{ModuleDir: "..", OutDir: t.TempDir()}.Build(context.Background(), tt.arch)
			if err != nil {
				t.Fatal(err)
			}
			zr, err := zip.OpenReader(path)
			if err != nil {
				t.Fatal(err)
			}
			defer zr.Close()
			// Small archives deploy and cold-start faster; a jump here means
			// a heavy dependency came in. The target is for arm64, the
			// default.
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if tt.arch == "arm64" && fi.Size() > 5_000_000 {
				t.Errorf("arm64 archive is %d bytes, over the 5 MB target", fi.Size())
			}
			t.Logf("%s archive: %d bytes", tt.arch, fi.Size())
			if len(zr.File) != 1 || zr.File[0].Name != "bootstrap" {
				t.Fatalf("archive holds %v, want only bootstrap", zr.File)
			}
			if mode := zr.File[0].Mode(); mode.Perm() != 0o755 || !mode.IsRegular() {
				t.Errorf("bootstrap mode %v, want -rwxr-xr-x", mode)
			}
			exe := unzipBootstrap(t, readFile(t, path))
			f, err := elf.NewFile(bytes.NewReader(exe))
			if err != nil {
				t.Fatalf("bootstrap is not an ELF executable: %v", err)
			}
			if f.Machine != tt.machine || f.OSABI != elf.ELFOSABI_NONE && f.OSABI != elf.ELFOSABI_LINUX {
				t.Errorf("bootstrap is for %v/%v, want %v on Linux", f.Machine, f.OSABI, tt.machine)
			}
			if f.Section(".symtab") != nil {
				t.Error("bootstrap keeps its symbol table; want it stripped (-s -w)")
			}
			if _, err := f.DynamicSymbols(); err == nil {
				t.Error("bootstrap is dynamically linked; want CGO_ENABLED=0")
			}
		})
	}
}

func TestBuildReportsFailures(t *testing.T) {
	_, err := GoBuild{ModuleDir: t.TempDir(), OutDir: t.TempDir()}.Build(context.Background(), "arm64")
	if err == nil || !strings.Contains(err.Error(), "build function") {
		t.Errorf("build outside the module: error %v, want one that says the build failed", err)
	}
	_, err = GoBuild{ModuleDir: "..", OutDir: t.TempDir()}.Build(context.Background(), "mips")
	if err == nil || !strings.Contains(err.Error(), `unknown Lambda architecture "mips"`) {
		t.Errorf("unknown architecture: error %v", err)
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func unzipBootstrap(t *testing.T, archive []byte) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(archive), int64(len(archive)))
	if err != nil {
		t.Fatal(err)
	}
	rc, err := zr.File[0].Open()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// A build from unchanged sources reuses the archive; a change to any Go
// source of the module builds it anew.
func TestBuildReusesOnlyWhatIsCurrent(t *testing.T) {
	ctx := context.Background()
	module := filepath.Join(t.TempDir(), "checkout")
	copyModule(t, module)
	out := t.TempDir()
	first, err := GoBuild{ModuleDir: module, OutDir: out}.Build(ctx, "arm64")
	if err != nil {
		t.Fatal(err)
	}
	before, _ := os.Stat(first)
	key := readFile(t, first+".key")
	again, err := GoBuild{ModuleDir: module, OutDir: out}.Build(ctx, "arm64")
	if err != nil {
		t.Fatal(err)
	}
	if after, _ := os.Stat(again); !after.ModTime().Equal(before.ModTime()) {
		t.Error("unchanged sources: the archive was built again")
	}

	src := filepath.Join(module, "function", "handler.go")
	data := readFile(t, src)
	if err := os.WriteFile(src, append(data, []byte("\n// changed\n")...), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := (GoBuild{ModuleDir: module, OutDir: out}).Build(ctx, "arm64"); err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(readFile(t, first+".key"), key) {
		t.Error("a changed source did not build the archive anew")
	}
}
