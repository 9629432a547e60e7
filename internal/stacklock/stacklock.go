// Package stacklock takes a stack's lock in a self-managed ("diy") Pulumi
// backend the way the Pulumi CLI takes it (pkg/backend/diy/lock.go of
// pulumi/pulumi): a file .pulumi/locks/<org>/<project>/<stack>/<id>.json
// holding who took it. While one is held, the CLI refuses to update, refresh,
// destroy, import or remove the stack, and Lock refuses while the CLI holds
// one, so that what is read and written under it is no run's work in flight.
package stacklock

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/user"
	"path"
	"slices"
	"strings"
	"time"

	"gocloud.dev/blob"
	_ "gocloud.dev/blob/fileblob" // file://, as the CLI opens it
	_ "gocloud.dev/blob/s3blob"   // s3://, as the CLI opens it
	"gocloud.dev/gcerrors"
	"gopkg.in/yaml.v3"

	"github.com/orderpipe/orderpipe/internal/backendurl"
)

// ErrUnsupported reports a backend whose lock this package cannot take:
// Pulumi Cloud (its lock is the service's, held only by an update), or a
// self-managed backend of a scheme not opened here.
var ErrUnsupported = errors.New("the stack's lock cannot be taken outside the Pulumi CLI")

// ErrStackName reports a stack name that is not a plain stack name.
var ErrStackName = errors.New("a stack's lock is taken by its plain name (no organization or project before it)")

var errNoCheckpoint = errors.New("no checkpoint in the backend")

// The CLI's bookkeeping directory and its layout (pkg/workspace).
const (
	bookkeeping = ".pulumi"
	// project-scoped stores (meta.yaml version 1) always name this org.
	org = "organization"
)

// Backend is a self-managed backend's bucket, as the CLI opens it.
type Backend struct {
	bucket  *blob.Bucket
	url     string // the backend URL, without credentials nor query, for messages
	project string
	scoped  bool // a project-scoped store (meta.yaml version 1)
}

// Open opens the backend at backendURL for the stacks of project: file://
// and s3:// (Pulumi Cloud and any other scheme: ErrUnsupported), resolved
// as the CLI resolves it (backendurl.Resolve).
func Open(ctx context.Context, backendURL, project string) (*Backend, error) {
	resolved, err := backendurl.Resolve(backendURL)
	if err != nil {
		return nil, err
	}
	u, err := url.Parse(resolved)
	if err != nil {
		return nil, fmt.Errorf("backend URL: %w", err)
	}
	var bucket *blob.Bucket
	switch u.Scheme {
	case "file":
		// As the CLI: temporary files beside the final ones (a rename
		// within one directory); no sidecars, as NoSidecars has the CLI.
		p, _, _ := strings.Cut(strings.TrimPrefix(resolved, "file://"), "?")
		bucket, err = blob.OpenBucket(ctx, "file://"+p+"?no_tmp_dir=true&metadata=skip")
	case "s3":
		bucket, err = blob.OpenBucket(ctx, resolved)
		if err == nil {
			// As the CLI: the URL's path is a prefix within the bucket.
			if sub := strings.TrimLeft(u.Path, "/"); sub != "" {
				bucket = blob.PrefixedBucket(bucket, strings.TrimSuffix(sub, "/")+"/")
			}
		}
	default:
		return nil, fmt.Errorf("%s backend: %w", u.Scheme, ErrUnsupported)
	}
	if err != nil {
		return nil, fmt.Errorf("open the backend: %w", err)
	}
	u.User, u.RawQuery, u.Fragment = nil, "", ""
	b := &Backend{bucket: bucket, url: strings.TrimSuffix(u.String(), "/"), project: project}
	if b.scoped, err = b.projectScoped(ctx); err != nil {
		bucket.Close()
		return nil, err
	}
	return b, nil
}

// projectScoped reads the store's layout as the CLI does: meta.yaml's
// version 1 scopes stacks by project; no meta.yaml, or version 0, is the
// legacy layout.
func (b *Backend) projectScoped(ctx context.Context) (bool, error) {
	raw, err := b.bucket.ReadAll(ctx, path.Join(bookkeeping, "meta.yaml"))
	if gcerrors.Code(err) == gcerrors.NotFound {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read the backend's meta.yaml: %w", err)
	}
	var meta struct {
		Version int `yaml:"version"`
	}
	if err := yaml.Unmarshal(raw, &meta); err != nil {
		return false, fmt.Errorf("read the backend's meta.yaml: %w", err)
	}
	switch meta.Version {
	case 0, 1:
		return meta.Version == 1, nil
	}
	return false, fmt.Errorf("the backend's meta.yaml has version %d, which this program does not know", meta.Version)
}

// Close closes the bucket.
func (b *Backend) Close() error { return b.bucket.Close() }

// lockDir is the directory of the stack's lock files: under the stack's
// fully qualified name (organization/<project>/<stack>).
func (b *Backend) lockDir(stack string) string {
	if b.scoped {
		return path.Join(bookkeeping, "locks", org, b.project, stack)
	}
	return path.Join(bookkeeping, "locks", stack)
}

// checkpointBase is the stack's checkpoint file without its extensions:
// under the project, without the organization.
func (b *Backend) checkpointBase(stack string) string {
	if b.scoped {
		return path.Join(bookkeeping, "stacks", b.project, stack)
	}
	return path.Join(bookkeeping, "stacks", stack)
}

// list lists the objects under prefix, as the CLI lists a directory. A
// file backend's listing fails on a temporary file that is renamed while it
// is listed (a lock or checkpoint being written): it is listed again.
func (b *Backend) list(ctx context.Context, prefix string) ([]*blob.ListObject, error) {
	var err error
	for try := range 5 {
		if try > 0 {
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(50 * time.Millisecond):
			}
		}
		var objs []*blob.ListObject
		it := b.bucket.List(&blob.ListOptions{Prefix: prefix, Delimiter: "/"})
		for {
			var obj *blob.ListObject
			obj, err = it.Next(ctx)
			if errors.Is(err, io.EOF) {
				return objs, nil
			}
			if err != nil {
				break
			}
			objs = append(objs, obj)
		}
		if gcerrors.Code(err) != gcerrors.NotFound {
			return nil, err
		}
	}
	return nil, err
}

// Holder is what a lock file says of who took it (the CLI's lockContent).
type Holder struct {
	PID       int       `json:"pid"`
	Username  string    `json:"username"`
	Hostname  string    `json:"hostname"`
	Timestamp time.Time `json:"timestamp"`
}

// Lock is a lock file of a stack.
type Lock struct {
	Key string // within the bucket
	URL string // the backend URL and Key: where to remove it by hand
	Holder
	// Unreadable says why the file's holder cannot be read ("" when it
	// can): such a lock is never judged gone.
	Unreadable string
}

func (l Lock) String() string {
	if l.Unreadable != "" {
		return fmt.Sprintf("%s (%s)", l.URL, l.Unreadable)
	}
	return fmt.Sprintf("%s@%s (pid %d) since %s", l.Username, l.Hostname, l.PID, l.Timestamp.UTC().Format(time.RFC3339))
}

// Locks lists the lock files of stack.
func (b *Backend) Locks(ctx context.Context, stack string) ([]Lock, error) {
	objs, err := b.list(ctx, b.lockDir(stack)+"/")
	if err != nil {
		return nil, fmt.Errorf("list the locks of %s: %w", stack, err)
	}
	var locks []Lock
	for _, obj := range objs {
		if obj.IsDir {
			continue
		}
		l := Lock{Key: obj.Key, URL: b.url + "/" + obj.Key}
		raw, err := b.bucket.ReadAll(ctx, obj.Key)
		switch {
		case gcerrors.Code(err) == gcerrors.NotFound:
			continue // released since the listing
		case err != nil:
			l.Unreadable = err.Error()
		default:
			if err := json.Unmarshal(raw, &l.Holder); err != nil {
				l.Unreadable = "not a lock the Pulumi CLI writes: " + err.Error()
			}
		}
		locks = append(locks, l)
	}
	return locks, nil
}

// LockedError reports a stack locked by others: their lock files.
type LockedError struct {
	Stack string
	Locks []Lock
}

func (e *LockedError) Error() string {
	held := make([]string, len(e.Locks))
	for i, l := range e.Locks {
		held[i] = l.String()
	}
	return fmt.Sprintf("%s is locked by %s", e.Stack, strings.Join(held, "; "))
}

// Held is a lock this process holds.
type Held struct {
	b     *Backend
	stack string
	key   string
}

// Lock takes the stack's lock as the CLI does: it refuses when the stack
// has a lock file (a *LockedError naming them), writes its own, and lists
// again; another lock written meanwhile makes it remove its own and refuse,
// so of two takers at once neither, or one, holds the stack, never both.
func (b *Backend) Lock(ctx context.Context, stack string) (*Held, error) {
	// A qualified name (organization/orderpipe/x) would put the lock in a
	// directory no CLI looks in, beside the CLI's own.
	if stack == "" || strings.ContainsAny(stack, `/\`) {
		return nil, fmt.Errorf("lock %q: %w", stack, ErrStackName)
	}
	if others, err := b.Locks(ctx, stack); err != nil || len(others) > 0 {
		return nil, errors.Join(err, lockedOrNil(stack, others))
	}
	var id [16]byte
	if _, err := rand.Read(id[:]); err != nil {
		return nil, fmt.Errorf("lock id: %w", err)
	}
	id[6], id[8] = id[6]&0x0f|0x40, id[8]&0x3f|0x80 // a version 4 UUID, as the CLI's
	name := fmt.Sprintf("%x-%x-%x-%x-%x.json", id[0:4], id[4:6], id[6:8], id[8:10], id[10:])
	h := &Held{b: b, stack: stack, key: path.Join(b.lockDir(stack), name)}
	content, err := newHolder()
	if err != nil {
		return nil, err
	}
	raw, err := json.Marshal(content)
	if err != nil {
		return nil, err
	}
	if err := b.bucket.WriteAll(ctx, h.key, raw, nil); err != nil {
		// The write may have landed all the same (a store that answered
		// late): never leave a lock of ours behind.
		return nil, errors.Join(fmt.Errorf("write the lock of %s: %w", stack, err), h.Release(context.WithoutCancel(ctx)))
	}
	all, err := b.Locks(ctx, stack)
	others := slices.DeleteFunc(all, func(l Lock) bool { return l.Key == h.key })
	if err != nil || len(others) > 0 {
		return nil, errors.Join(err, lockedOrNil(stack, others), h.Release(context.WithoutCancel(ctx)))
	}
	return h, nil
}

func lockedOrNil(stack string, locks []Lock) error {
	if len(locks) == 0 {
		return nil
	}
	return &LockedError{Stack: stack, Locks: locks}
}

func newHolder() (Holder, error) {
	u, err := user.Current()
	if err != nil {
		return Holder{}, fmt.Errorf("lock holder: %w", err)
	}
	host, err := os.Hostname()
	if err != nil {
		return Holder{}, fmt.Errorf("lock holder: %w", err)
	}
	return Holder{PID: os.Getpid(), Username: u.Username, Hostname: host, Timestamp: time.Now()}, nil
}

// Release removes the lock, trying three times (as the CLI does) within
// its own bounded time, whatever ctx has become: a lock of ours left
// behind would hold every later run of the stack.
func (h *Held) Release(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	var err error
	for try := range 3 {
		if err = h.b.bucket.Delete(ctx, h.key); err == nil || gcerrors.Code(err) == gcerrors.NotFound {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("release the lock of %s (remove %s by hand): %w", h.stack, h.key, err)
		case <-time.After(time.Duration(try+1) * 500 * time.Millisecond):
		}
	}
	return fmt.Errorf("release the lock of %s (remove %s by hand): %w", h.stack, h.key, err)
}

// HasCheckpoint says whether the stack exists in the backend: the CLI
// writes a checkpoint when it creates a stack.
func (h *Held) HasCheckpoint(ctx context.Context) (bool, error) {
	_, err := h.checkpointKey(ctx)
	if errors.Is(err, errNoCheckpoint) {
		return false, nil
	}
	return err == nil, err
}

// Key is the lock file's key in the bucket.
func (h *Held) Key() string { return h.key }

// Break removes one lock file, a run's that is gone, and no other.
func (b *Backend) Break(ctx context.Context, l Lock) error {
	if err := b.bucket.Delete(ctx, l.Key); err != nil && gcerrors.Code(err) != gcerrors.NotFound {
		return fmt.Errorf("remove the lock %s: %w", l.URL, err)
	}
	return nil
}

// DropPendingCreates removes the pending create operations of urns from the
// stack's checkpoint, under the lock, and says how many it removed. The
// CLI's own `refresh --clear-pending-creates` reads the checkpoint before it
// takes the lock (its TotalStateEdit), so it can write back a run's
// snapshot in flight over that run's final one; here the read and the write
// are both under the lock. Everything else in the checkpoint is kept as it
// was, and the file before the edit is kept beside it (.bak), as the CLI
// keeps it.
func (h *Held) DropPendingCreates(ctx context.Context, urns []string) (int, error) {
	key, err := h.checkpointKey(ctx)
	if err != nil {
		return 0, err
	}
	raw, err := h.b.bucket.ReadAll(ctx, key)
	if err != nil {
		return 0, fmt.Errorf("read the checkpoint of %s: %w", h.stack, err)
	}
	gzipped := bytes.HasPrefix(raw, []byte{0x1f, 0x8b})
	plain := raw
	if gzipped {
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			return 0, fmt.Errorf("read the checkpoint of %s: %w", h.stack, err)
		}
		if plain, err = io.ReadAll(zr); err != nil {
			return 0, fmt.Errorf("read the checkpoint of %s: %w", h.stack, err)
		}
	} else if !json.Valid(raw) {
		return 0, fmt.Errorf("the checkpoint %s of %s is neither JSON nor gzipped JSON (a zstd one is not edited here): resolve its pending creates with `pulumi refresh --clear-pending-creates` while no run holds it", key, h.stack)
	}
	edited, n, err := dropPendingCreates(plain, urns)
	if err != nil || n == 0 {
		if err != nil {
			err = fmt.Errorf("the checkpoint of %s: %w", h.stack, err)
		}
		return 0, err
	}
	if gzipped {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		if _, err := zw.Write(edited); err != nil {
			return 0, err
		}
		if err := zw.Close(); err != nil {
			return 0, err
		}
		edited = buf.Bytes()
	}
	if err := h.b.bucket.WriteAll(ctx, key+".bak", raw, nil); err != nil {
		return 0, fmt.Errorf("back up the checkpoint of %s: %w", h.stack, err)
	}
	if err := h.b.bucket.WriteAll(ctx, key, edited, nil); err != nil {
		return 0, fmt.Errorf("write the checkpoint of %s: %w", h.stack, err)
	}
	return n, nil
}

// checkpointKey is the stack's checkpoint file: the most recently written
// of its plain, gzip and zstd variants, as the CLI picks it.
func (h *Held) checkpointKey(ctx context.Context) (string, error) {
	plain := h.b.checkpointBase(h.stack) + ".json"
	objs, err := h.b.list(ctx, plain)
	if err != nil {
		return "", fmt.Errorf("find the checkpoint of %s: %w", h.stack, err)
	}
	var best *blob.ListObject
	for _, obj := range objs {
		switch obj.Key {
		case plain, plain + ".gz", plain + ".zst":
			if best == nil || !obj.ModTime.Before(best.ModTime) {
				best = obj
			}
		}
	}
	if best == nil {
		return "", fmt.Errorf("%s: %w", h.stack, errNoCheckpoint)
	}
	return best.Key, nil
}

// dropPendingCreates removes the pending creates of urns from a versioned
// checkpoint ({"version":…,"checkpoint":{"latest":{"pending_operations":…}}}),
// keeping every other field as it is.
func dropPendingCreates(raw []byte, urns []string) ([]byte, int, error) {
	var top, chk, latest map[string]json.RawMessage
	if err := json.Unmarshal(raw, &top); err != nil {
		return nil, 0, err
	}
	// Only the layout this was written against (apitype.CheckpointV3): a
	// later one is left to the CLI rather than edited blind.
	if v := string(top["version"]); v != "3" {
		return nil, 0, fmt.Errorf("checkpoint version %s, not 3: resolve its pending creates with `pulumi refresh --clear-pending-creates` while no run holds it", v)
	}
	if err := json.Unmarshal(top["checkpoint"], &chk); err != nil || chk == nil {
		return nil, 0, errors.New("no checkpoint in it")
	}
	if len(chk["latest"]) == 0 || string(chk["latest"]) == "null" {
		return nil, 0, nil
	}
	if err := json.Unmarshal(chk["latest"], &latest); err != nil {
		return nil, 0, err
	}
	var ops []json.RawMessage
	if p := latest["pending_operations"]; len(p) > 0 {
		if err := json.Unmarshal(p, &ops); err != nil {
			return nil, 0, err
		}
	}
	kept := ops[:0]
	for _, op := range ops {
		var o struct {
			Type     string `json:"type"`
			Resource struct {
				URN string `json:"urn"`
			} `json:"resource"`
		}
		if err := json.Unmarshal(op, &o); err != nil {
			return nil, 0, err
		}
		if o.Type == "creating" && slices.Contains(urns, o.Resource.URN) {
			continue
		}
		kept = append(kept, op)
	}
	n := len(ops) - len(kept)
	if n == 0 {
		return raw, 0, nil
	}
	var err error
	if len(kept) == 0 {
		delete(latest, "pending_operations")
	} else if latest["pending_operations"], err = marshal(kept); err != nil {
		return nil, 0, err
	}
	if chk["latest"], err = marshal(latest); err != nil {
		return nil, 0, err
	}
	if top["checkpoint"], err = marshal(chk); err != nil {
		return nil, 0, err
	}
	out, err := marshal(top)
	return append(out, '\n'), n, err
}

// marshal is json.Marshal without HTML escaping, as the CLI writes.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
