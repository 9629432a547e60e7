package awslocal

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"time"
)

// Dynalite is a dynalite server (npm package dynalite), the more faithful
// DynamoDB stand-in: it checks requests as DynamoDB does and reports table
// status, but has no transactions.
type Dynalite struct {
	Endpoint string
	cmd      *exec.Cmd
	done     chan error
}

// StartDynalite runs node on dynalite's cli.js on a free port of 127.0.0.1,
// with tables that are ACTIVE at once, held in node's memory, and waits
// until it accepts connections.
func StartDynalite(ctx context.Context, node, cliJS string) (*Dynalite, error) {
	return startDynalite(ctx, node, nil, cliJS)
}

// StartDynaliteOnDisk is StartDynalite with the tables in a LevelDB store
// in dir (dynalite's --path), so that what they hold is on disk rather than
// in any process's memory. V8 grows its heap lazily while it has room: with
// its young generation at 2 MB and its old one at 64 MB, node's resident
// memory over 50,000 orders grew 22 MB instead of 40 (docs/local.md), and
// dynalite's own heap stays well within it.
func StartDynaliteOnDisk(ctx context.Context, node, cliJS, dir string) (*Dynalite, error) {
	return startDynalite(ctx, node, []string{"--max-semi-space-size=2", "--max-old-space-size=64"}, cliJS, "--path", dir)
}

func startDynalite(ctx context.Context, node string, nodeArgs []string, cliJS string, args ...string) (*Dynalite, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	argv := append(append(nodeArgs, cliJS, "--host", "127.0.0.1", "--port", strconv.Itoa(port),
		"--createTableMs", "0", "--deleteTableMs", "0", "--updateTableMs", "0"), args...)
	cmd := exec.Command(node, argv...)
	cmd.Stderr = os.Stderr
	dieWithParent(cmd)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start dynalite: %w", err)
	}
	d := &Dynalite{Endpoint: "http://127.0.0.1:" + strconv.Itoa(port), cmd: cmd, done: make(chan error, 1)}
	go func() { d.done <- cmd.Wait() }()

	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	deadline := time.Now().Add(10 * time.Second)
	for {
		conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
		if err == nil {
			conn.Close()
			return d, nil
		}
		select {
		case err := <-d.done:
			return nil, fmt.Errorf("dynalite exited before it listened: %v", err)
		case <-ctx.Done():
			d.Close()
			return nil, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			d.Close()
			return nil, fmt.Errorf("dynalite did not listen on %s within 10s", addr)
		}
	}
}

// Close stops dynalite and waits for it to exit.
func (d *Dynalite) Close() error {
	_ = d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.done:
	case <-time.After(5 * time.Second):
		_ = d.cmd.Process.Kill()
		<-d.done
	}
	return nil
}
