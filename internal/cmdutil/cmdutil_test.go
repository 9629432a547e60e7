package cmdutil

import (
	"context"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/spf13/cobra"
)

// The runner's cancel, sent to this process: SIGINT cancels, SIGTERM
// hurries, and neither ends the process.
func TestSignalsCancelThenHurry(t *testing.T) {
	ctx, stop := notify(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	hurry := Hurried(ctx)
	if hurry == nil {
		t.Fatal("Hurried outside notify's context")
	}
	send := func(sig syscall.Signal) {
		t.Helper()
		if err := syscall.Kill(syscall.Getpid(), sig); err != nil {
			t.Fatal(err)
		}
	}
	send(syscall.SIGINT)
	select {
	case <-ctx.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("SIGINT did not cancel the context")
	}
	select {
	case <-hurry:
		t.Fatal("one signal hurried")
	case <-time.After(100 * time.Millisecond):
	}
	send(syscall.SIGTERM)
	select {
	case <-hurry:
	case <-time.After(5 * time.Second):
		t.Fatal("SIGTERM after SIGINT did not hurry")
	}
}

func TestHurriedOutsideMainNeverCloses(t *testing.T) {
	if Hurried(context.Background()) != nil {
		t.Fatal("a context Main did not make has a hurry channel")
	}
}

// --backend wins, then a --state-dir given, then $PULUMI_BACKEND_URL.
func TestBackend(t *testing.T) {
	for _, tc := range []struct {
		args    []string
		env     string
		want    string
		wantErr string
	}{
		{nil, "", "", ""},
		{nil, "s3://env", "s3://env", ""},
		{[]string{"--backend", "s3://flag"}, "s3://env", "s3://flag", ""},
		{[]string{"--state-dir", "d"}, "s3://env", "", ""},
		{[]string{"--state-dir", "d"}, "", "", ""},
		{[]string{"--backend", "s3://flag", "--state-dir", "d"}, "", "", "--backend and --state-dir"},
		{[]string{"--backend", ""}, "s3://env", "", "--backend: give"},
	} {
		c := &cobra.Command{Use: "x", RunE: func(*cobra.Command, []string) error { return nil }}
		var backend, dir string
		c.Flags().StringVar(&backend, "backend", "", "")
		c.Flags().StringVar(&dir, "state-dir", ".orderpipe/state", "")
		if err := c.ParseFlags(tc.args); err != nil {
			t.Fatal(err)
		}
		got, err := Backend(c, backend, tc.env)
		if got != tc.want || (err == nil) != (tc.wantErr == "") || err != nil && !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("%v with $PULUMI_BACKEND_URL=%q: %q, %v; want %q, error %q", tc.args, tc.env, got, err, tc.want, tc.wantErr)
		}
	}
}
