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
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/orderpipe/orderpipe/internal/awslocal"
)

// corpusRow is one row of testdata/orders2/orders.jsonl, a held-back corpus
// written from ISO 4217 and RFC 3339 without this code (its README says
// how).
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

// Every row of the corpus, in file order against an empty table, through
// ParseOrder and the real handler, DynamoDB store (minidyn) and DLQ (goaws).
func TestOrdersCorpus(t *testing.T) {
	f, err := os.Open("testdata/orders2/orders.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	mini, err := awslocal.StartDynamoDB()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mini.Close() })
	createTable(t, dynamoClient(mini.Endpoint), "orders-corpus")
	q := awslocal.SQSClient(sqsServer(t).Endpoint)
	var logs bytes.Buffer
	h := &Handler{
		Store:       DynamoStore{Client: dynamoClient(mini.Endpoint), Table: "orders-corpus"},
		DeadLetters: SQSDeadLetters{Client: q, QueueURL: createQueue(t, q, "corpus-dlq")},
		Log:         slog.New(slog.NewJSONHandler(&logs, nil)),
	}

	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 4<<20)
	rows, wrong := 0, 0
	for sc.Scan() {
		var row corpusRow
		if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
			t.Fatal(err)
		}
		rows++
		logs.Reset()
		if _, err := h.Handle(context.Background(), events.SQSEvent{Records: []events.SQSMessage{{MessageId: row.Name, Body: row.Body}}}); err != nil {
			t.Fatal(err)
		}
		var line struct{ Outcome, Reason string }
		if err := json.Unmarshal(logs.Bytes(), &line); err != nil {
			t.Fatalf("%s: log %q: %v", row.Name, logs.String(), err)
		}
		got := outcomeOf(row, Outcome(line.Outcome))
		why, disagree := corpusDisagreements[row.Name]
		switch {
		case got == "" && disagree:
			t.Errorf("%s: now agrees with the corpus; remove it from corpusDisagreements (%s)", row.Name, why)
		case got != "" && !disagree:
			wrong++
			t.Errorf("%s (decided by docs: %v): %s; corpus expects %s %s (%s)\n    reason: %.300s", row.Name, row.Decided, got, row.Expect, row.Field, row.Rule, line.Reason)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d rows, %d wrong, %d decided otherwise", rows, wrong, len(corpusDisagreements))
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
