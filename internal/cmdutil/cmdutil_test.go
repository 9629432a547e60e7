package cmdutil

import (
	"context"
	"syscall"
	"testing"
	"time"
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
