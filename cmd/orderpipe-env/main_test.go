package main

import (
	"context"
	"io"
	"os"
	"testing"

	"github.com/orderpipe/orderpipe/automation"
	"github.com/orderpipe/orderpipe/internal/cmdutil"
	"github.com/orderpipe/orderpipe/internal/fakeaws"
	"github.com/orderpipe/orderpipe/internal/fakeaws/fakecloud"
)

// TestMain makes the test binary (go test -c) the orderpipe-env command when
// fakecloud.URLEnv is set: main's code, signals and exit codes, with the
// account of the stand-in cloud served at that URL instead of AWS's. The
// workflow test at the module root runs it as the workflows run the built
// command.
func TestMain(m *testing.M) {
	if url := os.Getenv(fakecloud.URLEnv); url != "" {
		cmdutil.Main(func(ctx context.Context, args []string, stdout, stderr io.Writer) int {
			return run(ctx, args, stdout, stderr, fakeCloud(url))
		})
	}
	os.Exit(m.Run())
}

// fakeCloud connects to the stand-in cloud served at url, which answers for
// every region.
func fakeCloud(url string) connect {
	return func(_ context.Context, region string) (automation.Account, string, error) {
		if region == "" {
			region = fakeaws.Region
		}
		return &fakecloud.Client{URL: url}, region, nil
	}
}
