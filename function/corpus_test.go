package function

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/orderpipe/orderpipe/internal/awslocal"
)

// corpusRow is one row of a held-back corpus (testdata/orders2,
// testdata/orders3: orders.jsonl), written from the standards without this
// code (each README says how).
type corpusRow struct {
	Name, Body, Expect, Field, Rule string
	Decided                         bool `json:"decided_by_docs"`
}

// corpusDisagreements are the rows where this handler decides otherwise
// than the corpus, each with why. docs/handler.md says the same.
var corpusDisagreements = map[string]string{
	// The corpus takes List One as at 2026-01-01; the table is List One of
	// 2024-06-25 (currency-codes 2.2.0, the newest ISO 4217 data on npm)
	// with the changes CLDR 48 records after that date. CLDR dates CUC's
	// end 2021, before List One of 2024-06-25 still listed it, so List One
	// stands: a newer List One, regenerated, ends this.
	"iso-withdrawn-cuc": "CUC is in List One of 2024-06-25 and CLDR records no change since",
	// Refused naming body, but SQS cannot carry such a body to the DLQ
	// either (nor can it have delivered it): outcome failed, as the docs say
	// for a poison message the DLQ cannot take.
	"nonchar-ffff-literal": "a body SQS refuses cannot be sent to the DLQ",
	"nonchar-fffe-literal": "a body SQS refuses cannot be sent to the DLQ",
	// Over 256 KiB: no room for a reason, so it stays on the queue (failed)
	// and SQS moves it to the DLQ after maxReceiveCount, as the docs say.
	"size-body-256k-plus1": "too large for the DLQ with a reason",
}

// orders3Disagreements are orders3's rows where this handler decides
// otherwise than the corpus, each with why; the lead decides which belong.
var orders3Disagreements = map[string]string{}

// Every row of each held-back corpus, in file order against an empty table,
// through ParseOrder and the real handler, DynamoDB store (minidyn) and DLQ
// (goaws). Each corpus has its own table, DLQ and disagreements.
func TestOrdersCorpus(t *testing.T) {
	for _, c := range []struct {
		name     string
		disagree map[string]string
	}{
		{"orders2", corpusDisagreements},
		{"orders3", orders3Disagreements},
	} {
		t.Run(c.name, func(t *testing.T) {
			rows := readCorpus(t, filepath.Join("testdata", c.name, "orders.jsonl"))
			h, logs := corpusHandler(t, c.name)
			problems, wrong := runCorpus(t, h, logs, rows, c.disagree)
			for _, p := range problems {
				t.Error(p)
			}
			t.Logf("%d rows, %d wrong, %d decided otherwise", len(rows), wrong, len(c.disagree))
		})
	}
}

// The harness itself: rows that are wrong on purpose must each be reported,
// and right ones not.
func TestCorpusHarnessCatchesWrongRows(t *testing.T) {
	const (
		valid   = `{"orderId":"harness-1","customerId":"c-1","items":[{"sku":"A-1","quantity":1,"unitPrice":"1.00"}],"currency":"EUR","total":"1.00"}`
		other   = `{"orderId":"harness-1","customerId":"c-2","items":[{"sku":"A-1","quantity":1,"unitPrice":"1.00"}],"currency":"EUR","total":"1.00"}`
		badCode = `{"orderId":"harness-2","customerId":"c-1","items":[{"sku":"A-1","quantity":1,"unitPrice":"1.00"}],"currency":"eur","total":"1.00"}`
		valid3  = `{"orderId":"harness-3","customerId":"c-1","items":[{"sku":"A-1","quantity":1,"unitPrice":"1.00"}],"currency":"EUR","total":"1.00"}`
	)
	rows := []corpusRow{
		{Name: "right-stored", Body: valid, Expect: "stored"},
		{Name: "right-duplicate", Body: valid, Expect: "duplicate-of:right-stored"},
		{Name: "right-conflict", Body: other, Expect: "conflict-with:right-stored"},
		{Name: "right-rejected", Body: badCode, Expect: "rejected", Field: "currency"},
		{Name: "wrong-field", Body: badCode, Expect: "rejected", Field: "total"},
		{Name: "wrong-outcome", Body: valid3, Expect: "rejected", Field: "orderId"},
		{Name: "wrong-resend", Body: valid, Expect: "conflict-with:right-stored"},
		{Name: "wrong-disagreement", Body: other, Expect: "conflict-with:right-stored"},
	}
	disagree := map[string]string{"wrong-disagreement": "listed, yet it agrees"}
	h, logs := corpusHandler(t, "harness")
	problems, wrong := runCorpus(t, h, logs, rows, disagree)
	var got []string
	for _, p := range problems {
		got = append(got, p[:strings.IndexAny(p, " :")])
	}
	want := []string{"wrong-field", "wrong-outcome", "wrong-resend", "wrong-disagreement"}
	if strings.Join(got, ",") != strings.Join(want, ",") || wrong != 3 {
		t.Errorf("reported %q (%d wrong), want %q (3 wrong):\n%s", got, wrong, want, strings.Join(problems, "\n"))
	}
}

func readCorpus(t *testing.T, path string) []corpusRow {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows []corpusRow
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 4<<20)
	for sc.Scan() {
		var row corpusRow
		if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		rows = append(rows, row)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return rows
}

// corpusHandler is the real handler on an empty table and DLQ of its own.
func corpusHandler(t *testing.T, name string) (*Handler, *bytes.Buffer) {
	t.Helper()
	mini, err := awslocal.StartDynamoDB()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mini.Close() })
	table := "corpus-" + name
	createTable(t, dynamoClient(mini.Endpoint), table)
	q := awslocal.SQSClient(sqsServer(t).Endpoint)
	logs := new(bytes.Buffer)
	return &Handler{
		Store:       DynamoStore{Client: dynamoClient(mini.Endpoint), Table: table},
		DeadLetters: SQSDeadLetters{Client: q, QueueURL: createQueue(t, q, "corpus-dlq-"+name)},
		Log:         slog.New(slog.NewJSONHandler(logs, nil)),
	}, logs
}

// cloudWatchEventMax is the largest CloudWatch Logs event: 256 KiB less the
// 26 bytes it counts for each event.
const cloudWatchEventMax = 256*1024 - 26

// runCorpus hands each row to h alone, in order, and says where the outcome
// is not the row's expectation (or is, for a row in disagree). Each problem
// starts with the row's name. wrong counts the rows not in disagree.
func runCorpus(t *testing.T, h *Handler, logs *bytes.Buffer, rows []corpusRow, disagree map[string]string) (problems []string, wrong int) {
	t.Helper()
	for _, row := range rows {
		logs.Reset()
		if _, err := h.Handle(context.Background(), events.SQSEvent{Records: []events.SQSMessage{{MessageId: row.Name, Body: row.Body}}}); err != nil {
			t.Fatal(err)
		}
		if n := logs.Len(); n > cloudWatchEventMax {
			problems = append(problems, fmt.Sprintf("%s: a log line of %d bytes, over CloudWatch Logs' %d", row.Name, n, cloudWatchEventMax))
		}
		var line struct{ Outcome, Reason string }
		if err := json.Unmarshal(logs.Bytes(), &line); err != nil {
			t.Fatalf("%s: log %.500q: %v", row.Name, logs.String(), err)
		}
		got := outcomeOf(row, Outcome(line.Outcome))
		why, disagrees := disagree[row.Name]
		switch {
		case got == "" && disagrees:
			problems = append(problems, fmt.Sprintf("%s: now agrees with the corpus; remove it from the disagreements (%s)", row.Name, why))
		case got != "" && !disagrees:
			wrong++
			problems = append(problems, fmt.Sprintf("%s (decided by docs: %v): %s; corpus expects %s %s (%s)\n    reason: %.300s", row.Name, row.Decided, got, row.Expect, row.Field, row.Rule, line.Reason))
		}
	}
	return problems, wrong
}

// outcomeOf says how the handler's outcome differs from the row's
// expectation, or "" when it is the one expected. A rejection must name the
// row's field (ParseOrder's own error is read for that).
func outcomeOf(row corpusRow, got Outcome) string {
	want := row.Expect
	switch {
	case want == "stored" && got == Stored:
		return ""
	case strings.HasPrefix(want, "duplicate-of:") && got == Duplicate:
		return ""
	case strings.HasPrefix(want, "conflict-with:") && got == Conflict:
		return ""
	case want == "rejected" && got == Rejected:
		_, err := ParseOrder(row.Body)
		var ve ValidationError
		if errors.As(err, &ve) {
			for _, fe := range ve {
				if fe.Field == row.Field {
					return ""
				}
			}
		}
		return fmt.Sprintf("rejected without naming %s: %v", row.Field, err)
	}
	return string(got)
}
