package filetable

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/orderpipe/orderpipe/internal/testenv"
)

// reserved_table.go is what gen.go writes from the dynalite tools/install
// pins: nobody edited it by hand.
func TestReservedTableIsGenerated(t *testing.T) {
	cli := testenv.Tool(t, "ORDERPIPE_DYNALITE", "tools/node_modules/dynalite/cli.js", "tools/install")
	out := filepath.Join(t.TempDir(), "reserved_table.go")
	cmd := exec.Command("go", "run", "gen.go", "-package", filepath.Dir(cli), "-o", out)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("gen.go: %v\n%s", err, msg)
	}
	want, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("reserved_table.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("reserved_table.go is not what gen.go writes from the pinned dynalite: run go generate ./internal/filetable")
	}
}

// Words from the Developer Guide's "Reserved words in DynamoDB", in any
// case, and names that are not among them.
func TestReserved(t *testing.T) {
	for _, w := range []string{"ABORT", "status", "Name", "data", "TIMESTAMP", "zone", "count", "DATE"} {
		if !isReserved(w) {
			t.Errorf("%s is a reserved word (%s)", w, reservedSource)
		}
	}
	for _, w := range []string{"orderId", "payloadHash", "messageId", "receivedAt", "pk", "x"} {
		if isReserved(w) {
			t.Errorf("%s is no reserved word", w)
		}
	}
	if len(reservedWords) < 500 {
		t.Errorf("%d reserved words; the Developer Guide lists 573", len(reservedWords))
	}
}
