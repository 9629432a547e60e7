package filetable

import (
	"testing"
	"time"

	"github.com/orderpipe/orderpipe/internal/proctest"
)

// TestCorpusOnFileTable runs the corpus written from AWS's documentation
// against the file table, which must do what the docs say within its scope
// and refuse, saying so, what is outside it.
func TestCorpusOnFileTable(t *testing.T) {
	proctest.Check(t, 5*time.Second, "")
	s, err := Start(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close the file table: %v", err)
		}
	})
	runCorpus(t, s.Endpoint, true)
}
