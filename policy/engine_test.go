package main

import (
	"bufio"
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// The pack lives as long as its engine: it keeps serving while the engine
// answers gRPC health checks, and exits by itself within seconds once the
// engine is gone (killed, so that it never stopped the pack), as Pulumi's
// resource providers do. Started with an address where nothing answers, it
// exits too.
func TestPackExitsWhenItsEngineIsGone(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "orderpipe-policy")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build the pack: %v\n%s", err, out)
	}

	// An engine: a gRPC server with the standard health service, as the
	// Pulumi engine's host serves.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	engine := grpc.NewServer()
	healthpb.RegisterHealthServer(engine, health.NewServer())
	go engine.Serve(l)
	defer engine.Stop()

	start := func(addr string) (*exec.Cmd, <-chan error) {
		cmd := exec.Command(bin, addr)
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill() })
		if _, err := bufio.NewReader(stdout).ReadString('\n'); err != nil {
			t.Fatalf("the pack printed no port: %v; stderr:\n%s", err, stderr.String())
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		return cmd, exited
	}

	_, exited := start(l.Addr().String())
	select {
	case err := <-exited:
		t.Fatalf("the pack exited while its engine was there: %v", err)
	case <-time.After(3 * engineCheckInterval):
	}
	engine.Stop()
	gone := time.Now()
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("the pack exited with %v after its engine went, want 0", err)
		}
		t.Logf("the pack exited %v after its engine went", time.Since(gone).Round(time.Millisecond))
	case <-time.After(10 * engineCheckInterval):
		t.Fatal("the pack still runs 10 s after its engine went")
	}

	// Nothing ever answered at this address.
	free, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	nobody := free.Addr().String()
	free.Close()
	_, exited = start(nobody)
	select {
	case <-exited:
	case <-time.After(10 * engineCheckInterval):
		t.Fatal("a pack whose engine address answers nothing still runs after 10 s")
	}
}
