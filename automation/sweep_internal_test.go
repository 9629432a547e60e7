package automation

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/orderpipe/orderpipe/internal/account"
)

// deletes records what it is asked to delete.
type deletes struct {
	Account
	arns []string
}

func (d *deletes) Delete(_ context.Context, r account.Resource) error {
	d.arns = append(d.arns, r.ARN)
	return nil
}

// The sweep deletes a stack's orphans holding that stack's lock, and only
// while the backend has no such stack: a stack locked by another run, or
// created again since the listings (a push to its PR), keeps them.
func TestOrphansDeletedUnderTheirStacksLock(t *testing.T) {
	dir := t.TempDir()
	write := func(rel, content string) {
		t.Helper()
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(".pulumi/meta.yaml", "version: 1\n")
	write(".pulumi/stacks/orderpipe/back.json", `{"version":3,"checkpoint":{"stack":"organization/orderpipe/back","latest":null}}`)
	write(".pulumi/locks/organization/orderpipe/held/0d7c5b4e-0000-4000-8000-000000000000.json",
		`{"pid":1,"username":"ci","hostname":"another-machine","timestamp":"2026-11-30T00:00:00Z"}`)
	orphan := func(stack string) Orphan {
		return Orphan{ARN: "arn:aws:sqs:eu-west-1:123456789012:orderpipe-" + stack + "-OrderQueue", Stack: stack}
	}
	found := []Orphan{orphan("gone"), orphan("back"), orphan("held"), orphan("gone2")}
	acct := &deletes{}
	deleted, skipped, err := deleteOrphans(context.Background(), Options{Account: acct}, "file://"+filepath.ToSlash(dir), found)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{orphan("gone").ARN, orphan("gone2").ARN}
	if !slices.Equal(acct.arns, want) || len(deleted) != 2 {
		t.Errorf("deleted %v, want %v", acct.arns, want)
	}
	var why []string
	for _, s := range skipped {
		why = append(why, s.Stack+": "+s.Why)
	}
	if len(skipped) != 2 || !strings.Contains(why[0], "back: ") || !strings.Contains(why[0], "in the backend again") ||
		!strings.Contains(why[1], "held: ") || !strings.Contains(why[1], "locked") {
		t.Errorf("skipped: %q", why)
	}
	locks, _ := filepath.Glob(filepath.Join(dir, ".pulumi/locks/organization/orderpipe/*/*.json"))
	if len(locks) != 1 {
		t.Errorf("lock files after the sweep: %v; want only the other run's", locks)
	}
}

// A stack named as the CLI qualifies it is the plain name; any other
// qualification is refused.
func TestPlainStackName(t *testing.T) {
	for in, want := range map[string]string{
		"pr-5-abcd": "pr-5-abcd", "organization/pr-5-abcd": "pr-5-abcd", "organization/orderpipe/pr-5-abcd": "pr-5-abcd",
		"acme/orderpipe/pr-5-abcd": "", "organization/other/pr-5-abcd": "", "": "", "organization/": "", "a/b/c/d": "",
	} {
		got, err := plainStackName(in)
		if got != want || (want == "") != (err != nil) {
			t.Errorf("plainStackName(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

// On a backend whose lock cannot be taken here nothing is deleted.
func TestOrphansLeftWithoutALock(t *testing.T) {
	acct := &deletes{}
	found := []Orphan{{ARN: "arn:aws:sqs:eu-west-1:123456789012:orderpipe-gone-OrderQueue", Stack: "gone"}}
	deleted, skipped, err := deleteOrphans(context.Background(), Options{Account: acct}, "https://api.pulumi.com", found)
	if err != nil || len(acct.arns) != 0 || len(deleted) != 0 || len(skipped) != 1 || !strings.Contains(skipped[0].Why, "nothing is deleted") {
		t.Errorf("deleted %v, skipped %+v, %v", acct.arns, skipped, err)
	}
}

// A checkpoint read while another run writes it is read again, past three
// tries (CI met three mid-write reads in a row during a 26-resource
// update), until it reads; any other error is returned at once.
func TestMidWriteReadsAgain(t *testing.T) {
	midWriteErr := errors.New("unable to set config: exit status 1: error: failed to load checkpoint: EOF")
	listingErr := errors.New("failed to list tags: exit status 1: error: could not list bucket: blob (code=NotFound): " +
		"lstat /s/.pulumi/stacks/orderpipe/pr-1-ab.json.18ecd77254ff46a5.tmp: no such file or directory")
	for _, c := range []struct {
		name  string
		fails int
		other error
		want  error
	}{
		{"read at once", 0, nil, nil},
		{"five mid-write reads", 5, nil, nil},
		{"another error", 0, errors.New("no such stack"), errors.New("no such stack")},
		// The CLI listing a directory of the file backend in which another
		// run renames a temporary file (stacklock's
		// TestListWhileAnotherStackIsWritten measures it).
		{"a listing mid-rename", 3, nil, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			calls := 0
			err := midWrite(context.Background(), func() error {
				calls++
				switch {
				case c.other != nil:
					return c.other
				case calls <= c.fails && strings.Contains(c.name, "listing"):
					return listingErr
				case calls <= c.fails:
					return midWriteErr
				}
				return nil
			})
			if fmt.Sprint(err) != fmt.Sprint(c.want) {
				t.Errorf("err %v, want %v", err, c.want)
			}
			if want := c.fails + 1; calls != want {
				t.Errorf("%d calls, want %d", calls, want)
			}
		})
	}
}
