package stacklock

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"gocloud.dev/blob"

	"github.com/orderpipe/orderpipe/internal/backendurl"
)

// store is a file backend in a new directory, with the CLI's meta.yaml of
// a project-scoped store when scoped.
func store(t *testing.T, scoped bool) (string, *Backend) {
	t.Helper()
	dir := t.TempDir()
	if scoped {
		if err := os.MkdirAll(filepath.Join(dir, ".pulumi"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, ".pulumi", "meta.yaml"), []byte("version: 1\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := Open(context.Background(), "file://"+filepath.ToSlash(dir), "orderpipe")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return dir, b
}

// The lock is the file the CLI writes, where it writes it
// (pkg/backend/diy/lock.go): <uuid>.json under .pulumi/locks and the
// stack's path, with pid, username, hostname and an RFC 3339 timestamp.
func TestLockFile(t *testing.T) {
	for _, c := range []struct {
		name   string
		scoped bool
		dir    string
	}{
		{"project-scoped store (meta.yaml version 1)", true, ".pulumi/locks/organization/orderpipe/pr-7"},
		{"legacy store (no meta.yaml)", false, ".pulumi/locks/pr-7"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir, b := store(t, c.scoped)
			ctx := context.Background()
			h, err := b.Lock(ctx, "pr-7")
			if err != nil {
				t.Fatal(err)
			}
			files, _ := filepath.Glob(filepath.Join(dir, filepath.FromSlash(c.dir), "*.json"))
			if len(files) != 1 || !regexp.MustCompile(`/[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\.json$`).MatchString(files[0]) {
				t.Fatalf("lock files %v in %s", files, c.dir)
			}
			raw, _ := os.ReadFile(files[0])
			var content map[string]any
			if err := json.Unmarshal(raw, &content); err != nil {
				t.Fatal(err)
			}
			host, _ := os.Hostname()
			ts, _ := content["timestamp"].(string)
			if _, err := time.Parse(time.RFC3339Nano, ts); err != nil || content["pid"] != float64(os.Getpid()) || content["hostname"] != host || content["username"] == "" || len(content) != 4 {
				t.Errorf("lock content %s", raw)
			}
			if err := h.Release(ctx); err != nil {
				t.Fatal(err)
			}
			if files, _ := filepath.Glob(filepath.Join(dir, filepath.FromSlash(c.dir), "*.json")); len(files) != 0 {
				t.Errorf("left after release: %v", files)
			}
		})
	}
}

// A held lock refuses another taker, naming the holder; released, it can be
// taken again. Of many takers at once, at most one holds it.
func TestLockExcludes(t *testing.T) {
	_, b := store(t, true)
	ctx := context.Background()
	h, err := b.Lock(ctx, "s")
	if err != nil {
		t.Fatal(err)
	}
	_, err = b.Lock(ctx, "s")
	var locked *LockedError
	if !errors.As(err, &locked) || len(locked.Locks) != 1 || locked.Locks[0].Key != h.Key() || locked.Locks[0].PID != os.Getpid() {
		t.Fatalf("second lock: %v", err)
	}
	if other, err := b.Lock(ctx, "another-stack"); err != nil {
		t.Errorf("another stack's lock: %v", err)
	} else {
		other.Release(ctx)
	}
	if err := h.Release(ctx); err != nil {
		t.Fatal(err)
	}

	for round := range 20 {
		var mu sync.Mutex
		var held []*Held
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				if h, err := b.Lock(ctx, "s"); err == nil {
					mu.Lock()
					held = append(held, h)
					mu.Unlock()
				} else if !errors.As(err, &locked) {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if len(held) > 1 {
			t.Fatalf("round %d: %d takers hold the lock at once", round, len(held))
		}
		for _, h := range held {
			h.Release(ctx)
		}
		if locks, _ := b.Locks(ctx, "s"); len(locks) != 0 {
			t.Fatalf("round %d: locks left %v", round, locks)
		}
	}
}

// Break removes the one lock file it is given, no other.
func TestBreakRemovesOnlyThatLock(t *testing.T) {
	dir, b := store(t, true)
	ctx := context.Background()
	lockDir := filepath.Join(dir, ".pulumi", "locks", "organization", "orderpipe", "s")
	os.MkdirAll(lockDir, 0o755)
	for _, n := range []string{"a.json", "b.json"} {
		os.WriteFile(filepath.Join(lockDir, n), []byte(`{"pid":1,"username":"u","hostname":"h","timestamp":"2026-11-30T04:00:00Z"}`), 0o644)
	}
	locks, err := b.Locks(ctx, "s")
	if err != nil || len(locks) != 2 {
		t.Fatalf("locks %v %v", locks, err)
	}
	if err := b.Break(ctx, locks[0]); err != nil {
		t.Fatal(err)
	}
	after, _ := b.Locks(ctx, "s")
	if len(after) != 1 || after[0].Key != locks[1].Key {
		t.Errorf("after breaking %s: %v", locks[0].Key, after)
	}
}

// A lock is gone only when it names this machine and its process has ended
// or its pid is now a process started after the lock was taken.
func TestGone(t *testing.T) {
	host, _ := os.Hostname()
	ended := exec.Command("/bin/true")
	if err := ended.Run(); err != nil {
		t.Fatal(err)
	}
	running := exec.Command("/bin/sleep", "60")
	if err := running.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { running.Process.Kill(); running.Wait() }()
	started := time.Now()
	now := time.Now()
	for _, c := range []struct {
		name string
		lock Lock
		gone bool
	}{
		{"this machine, process ended", Lock{Holder: Holder{PID: ended.Process.Pid, Hostname: host, Timestamp: now}}, true},
		{"this machine, process running since before the lock", Lock{Holder: Holder{PID: running.Process.Pid, Hostname: host, Timestamp: started.Add(time.Second)}}, false},
		{"this machine, pid reused since the lock", Lock{Holder: Holder{PID: running.Process.Pid, Hostname: host, Timestamp: started.Add(-3 * startSlack)}}, true},
		{"another machine, fresh", Lock{Holder: Holder{PID: ended.Process.Pid, Hostname: "ci-runner-7", Timestamp: now}}, false},
		{"another machine, 2 h old", Lock{Holder: Holder{PID: ended.Process.Pid, Hostname: "ci-runner-7", Timestamp: now.Add(-2 * time.Hour)}}, false},
		{"localhost", Lock{Holder: Holder{PID: ended.Process.Pid, Hostname: "localhost", Timestamp: now}}, false},
		{"no pid", Lock{Holder: Holder{Hostname: host, Timestamp: now}}, false},
		{"unreadable", Lock{Holder: Holder{PID: ended.Process.Pid, Hostname: host}, Unreadable: "not JSON"}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			gone, why := c.lock.Gone(now)
			if gone != c.gone || why == "" {
				t.Errorf("gone %v (%s), want %v", gone, why, c.gone)
			}
		})
	}
}

// checkpoint is a versioned checkpoint as the CLI writes one, with a pending
// create of each URN and an update pending.
const checkpoint = `{"version":3,"checkpoint":{"stack":"organization/orderpipe/s","config":{"aws:region":"eu-west-1"},"latest":{"manifest":{"time":"2026-11-30T04:00:00Z","magic":"m","version":"v3.274.1"},"secrets_providers":{"type":"passphrase","state":{"salt":"x<y>&"}},"resources":[{"urn":"urn:pulumi:s::orderpipe::pulumi:pulumi:Stack::orderpipe-s","custom":false,"type":"pulumi:pulumi:Stack"}],"pending_operations":[{"resource":{"urn":"urn:a","custom":true,"type":"aws:dynamodb/table:Table"},"type":"creating"},{"resource":{"urn":"urn:b","custom":true,"type":"aws:sqs/queue:Queue"},"type":"creating"},{"resource":{"urn":"urn:c","custom":true,"type":"aws:sqs/queue:Queue"},"type":"updating"}],"metadata":{}}}}
`

// The pending creates named are dropped from the checkpoint under the lock,
// plain or gzipped as it was; everything else stays as it was, and the
// file before the edit is kept as .bak.
func TestDropPendingCreates(t *testing.T) {
	for _, gz := range []bool{false, true} {
		t.Run(map[bool]string{false: "json", true: "gzip"}[gz], func(t *testing.T) {
			dir, b := store(t, true)
			ctx := context.Background()
			file := filepath.Join(dir, ".pulumi", "stacks", "orderpipe", "s.json")
			raw := []byte(checkpoint)
			if gz {
				file += ".gz"
				var buf bytes.Buffer
				zw := gzip.NewWriter(&buf)
				zw.Write(raw)
				zw.Close()
				raw = buf.Bytes()
			}
			os.MkdirAll(filepath.Dir(file), 0o755)
			if err := os.WriteFile(file, raw, 0o644); err != nil {
				t.Fatal(err)
			}
			h, err := b.Lock(ctx, "s")
			if err != nil {
				t.Fatal(err)
			}
			defer h.Release(ctx)
			n, err := h.DropPendingCreates(ctx, []string{"urn:a", "urn:c"})
			if err != nil || n != 1 {
				t.Fatalf("dropped %d: %v", n, err)
			}
			got, _ := os.ReadFile(file)
			if gz {
				zr, err := gzip.NewReader(bytes.NewReader(got))
				if err != nil {
					t.Fatal(err)
				}
				var buf bytes.Buffer
				buf.ReadFrom(zr)
				got = buf.Bytes()
			}
			var before, after map[string]any
			json.Unmarshal([]byte(checkpoint), &before)
			if err := json.Unmarshal(got, &after); err != nil {
				t.Fatalf("%v: %s", err, got)
			}
			latest := before["checkpoint"].(map[string]any)["latest"].(map[string]any)
			ops := latest["pending_operations"].([]any)
			latest["pending_operations"] = ops[1:] // urn:a's create; urn:c's update is no create
			b1, _ := json.Marshal(before)
			b2, _ := json.Marshal(after)
			if !bytes.Equal(b1, b2) {
				t.Errorf("edited checkpoint\n%s\nwant\n%s", b2, b1)
			}
			if bak, _ := os.ReadFile(file + ".bak"); !bytes.Equal(bak, raw) {
				t.Error("the checkpoint before the edit is not kept as .bak")
			}
			if n, err := h.DropPendingCreates(ctx, []string{"urn:a"}); n != 0 || err != nil {
				t.Errorf("a second drop: %d %v", n, err)
			}
		})
	}
}

// A checkpoint of another layout than the one the edit was written against
// is refused, unchanged.
func TestDropPendingCreatesRefusesAnotherVersion(t *testing.T) {
	raw := []byte(strings.Replace(checkpoint, `{"version":3,`, `{"version":4,`, 1))
	if out, n, err := dropPendingCreates(raw, []string{"urn:a"}); err == nil || n != 0 || out != nil {
		t.Errorf("a version 4 checkpoint: %d dropped, %v", n, err)
	}
}

// Pulumi Cloud has no lock file to take.
func TestOpenRefusesPulumiCloud(t *testing.T) {
	if _, err := Open(context.Background(), "https://api.pulumi.com", "orderpipe"); !errors.Is(err, ErrUnsupported) {
		t.Errorf("open Pulumi Cloud: %v", err)
	}
}

// A qualified stack name would be locked where no CLI looks: refused.
func TestLockRefusesAQualifiedName(t *testing.T) {
	_, b := store(t, true)
	for _, name := range []string{"organization/orderpipe/s", "organization/s", `a\b`, ""} {
		if h, err := b.Lock(context.Background(), name); !errors.Is(err, ErrStackName) {
			t.Errorf("Lock(%q): %v", name, err)
			if h != nil {
				h.Release(context.Background())
			}
		}
	}
}

// The lock of a relative file backend is taken where the CLI keeps the
// stack whatever directory the CLI runs in: under the working directory.
func TestOpenResolvesARelativePath(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	if err := os.Mkdir("state", 0o755); err != nil {
		t.Fatal(err)
	}
	b, err := Open(context.Background(), "file://state/", "orderpipe")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	h, err := b.Lock(context.Background(), "s")
	if err != nil {
		t.Fatal(err)
	}
	defer h.Release(context.Background())
	if _, err := os.Stat(filepath.Join(dir, "state", filepath.FromSlash(h.Key()))); err != nil {
		t.Errorf("the lock is not under the working directory: %v", err)
	}
	if want := "file://" + filepath.ToSlash(filepath.Join(dir, "state")); b.url != want {
		t.Errorf("backend named %s, want %s", b.url, want)
	}
}

// A stack exists in the backend once the CLI has written its checkpoint.
func TestHasCheckpoint(t *testing.T) {
	dir, b := store(t, true)
	ctx := context.Background()
	h, err := b.Lock(ctx, "s")
	if err != nil {
		t.Fatal(err)
	}
	defer h.Release(ctx)
	if has, err := h.HasCheckpoint(ctx); has || err != nil {
		t.Errorf("before its checkpoint: %v %v", has, err)
	}
	file := filepath.Join(dir, ".pulumi", "stacks", "orderpipe", "s.json")
	os.MkdirAll(filepath.Dir(file), 0o755)
	if err := os.WriteFile(file, []byte(checkpoint), 0o644); err != nil {
		t.Fatal(err)
	}
	if has, err := h.HasCheckpoint(ctx); !has || err != nil {
		t.Errorf("after its checkpoint: %v %v", has, err)
	}
}

// What this package writes has no sidecar either: a reader never meets
// one half-written.
func TestLockWritesNoSidecar(t *testing.T) {
	dir, b := store(t, true)
	h, err := b.Lock(context.Background(), "s")
	if err != nil {
		t.Fatal(err)
	}
	defer h.Release(context.Background())
	if sidecars := attrsFiles(t, dir); len(sidecars) > 0 {
		t.Errorf("sidecars written: %v", sidecars)
	}
}

func attrsFiles(t *testing.T, dir string) []string {
	t.Helper()
	var found []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, ".attrs") {
			found = append(found, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

// The fact NoSidecars relies on, and what it buys: while a file is written
// again and again, reads through a bucket that writes sidecars fail (the
// sidecar is read truncated: EOF), and reads through NoSidecars's never do.
// Should the first half fail, the Go CDK has made sidecars safe to read and
// NoSidecars may go.
func TestSidecarsAreReadHalfWritten(t *testing.T) {
	for _, noSidecars := range []bool{false, true} {
		ctx := context.Background()
		url := "file://" + filepath.ToSlash(t.TempDir()) + "?no_tmp_dir=true" // as the CLI writes
		if noSidecars {
			url = backendurl.NoSidecars(url)
		}
		b, err := blob.OpenBucket(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		data := bytes.Repeat([]byte("x"), 4000)
		if err := b.WriteAll(ctx, "s.json", data, nil); err != nil {
			t.Fatal(err)
		}
		stop := rewriting(t, b, "s.json", data)
		reads, fails := 0, 0
		var last error
		for end := time.Now().Add(time.Second); time.Now().Before(end); reads++ {
			got, err := b.ReadAll(ctx, "s.json")
			if err == nil && !bytes.Equal(got, data) {
				err = fmt.Errorf("read %d bytes of %d", len(got), len(data))
			}
			if err != nil {
				fails, last = fails+1, err
			}
		}
		stop()
		t.Logf("%s: %d of %d reads failed (last: %v)", url, fails, reads, last)
		if (fails > 0) == noSidecars {
			t.Errorf("%s: %d of %d reads failed (last: %v)", url, fails, reads, last)
		}
	}
}

// Such a URL opens the store the CLI opens: over plain HTTP, path-style,
// at the endpoint (gocloud refuses disableSSL itself).
func TestOpenS3V1Params(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_REQUEST_CHECKSUM_CALCULATION", "")
	var mu sync.Mutex
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Method+" "+r.URL.Path)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>`)
	}))
	defer srv.Close()
	endpoint := strings.TrimPrefix(srv.URL, "http://")
	b, err := Open(context.Background(), "s3://bucket/team/?endpoint="+endpoint+"&disableSSL=true&s3ForcePathStyle=true&region=us-east-1", "orderpipe")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	mu.Lock()
	defer mu.Unlock()
	if !slices.Contains(seen, "GET /bucket/team/.pulumi/meta.yaml") {
		t.Errorf("requests %v, want the meta.yaml of the prefix read path-style", seen)
	}
	if b.url != "s3://bucket/team" {
		t.Errorf("backend named %s", b.url)
	}
}

// A file backend's listing walks the directory, temporary files included
// (the CLI writes them beside the final ones), and fails when one is
// renamed between the walk's reading of the directory and its stat of the
// file: the CLI's listings fail so ("could not list bucket", `pulumi stack
// ls`, its lock check) while another run writes a stack of the same
// project. This package's listings are taken again and never fail so.
func TestListWhileAnotherStackIsWritten(t *testing.T) {
	ctx := context.Background()
	_, b := store(t, true)
	dir := path.Join(bookkeeping, "stacks", "orderpipe") + "/"
	data := bytes.Repeat([]byte("x"), 4000)
	if err := b.bucket.WriteAll(ctx, dir+"other.json", data, nil); err != nil {
		t.Fatal(err)
	}
	stop := rewriting(t, b.bucket, dir+"other.json", data)
	raw, rawFails, fails := 0, 0, 0
	var last error
	for end := time.Now().Add(time.Second); time.Now().Before(end); raw++ {
		it := b.bucket.List(&blob.ListOptions{Prefix: dir, Delimiter: "/"})
		for {
			_, err := it.Next(ctx)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				rawFails, last = rawFails+1, err
				break
			}
		}
		if _, err := b.list(ctx, dir); err != nil {
			fails++
			t.Errorf("list: %v", err)
		}
	}
	stop()
	t.Logf("%d of %d plain listings failed (last: %v); %d of this package's", rawFails, raw, last, fails)
}

// rewriting writes data to key in b again and again, as a run writing a
// checkpoint, until the returned stop is called.
func rewriting(t *testing.T, b *blob.Bucket, key string, data []byte) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-done:
				return
			default:
			}
			if err := b.WriteAll(context.Background(), key, data, nil); err != nil {
				t.Error(err)
				return
			}
		}
	})
	return func() { close(done); wg.Wait() }
}
