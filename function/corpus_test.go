package function

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

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
var orders3Disagreements = map[string]string{
	// The U+FFFF is in the order's customerId once the envelope's Message
	// is read: the reason names that field, as for a literal one
	// (docs/handler.md, delivery forms).
	"env-outer-ffff-escaped": "the reason names the order's field that holds U+FFFF (customerId), not Message",
}

// orders4Disagreements are orders4's rows where this handler decides
// otherwise than the corpus, each with why; the lead decides which belong.
var orders4Disagreements = map[string]string{}

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
		{"orders4", orders4Disagreements},
	} {
		t.Run(c.name, func(t *testing.T) {
			rows := readCorpus(t, filepath.Join("testdata", c.name, "orders.jsonl"))
			problems, wrong := newCorpusEnv(t, c.name).run(t, rows, c.disagree)
			for _, p := range problems {
				t.Error(p)
			}
			t.Logf("%d rows, %d wrong, %d decided otherwise", len(rows), wrong, len(c.disagree))
		})
	}
}

// The harness itself: rows that are wrong on purpose must each be reported,
// and right ones not; so must a stored payload or a DLQ copy that is not
// what was sent.
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
	env := newCorpusEnv(t, "harness")
	problems, wrong := env.run(t, rows, disagree)
	var got []string
	for _, p := range problems {
		got = append(got, p[:strings.IndexAny(p, " :")])
	}
	want := []string{"wrong-field", "wrong-outcome", "wrong-resend", "wrong-disagreement"}
	if strings.Join(got, ",") != strings.Join(want, ",") || wrong != 3 {
		t.Errorf("reported %q (%d wrong), want %q (3 wrong):\n%s", got, wrong, want, strings.Join(problems, "\n"))
	}

	// The end state, checked against what was not sent.
	ctx := context.Background()
	if p := env.stored(ctx, "right-stored", valid+" ", "right-stored"); !strings.Contains(p, "payload") {
		t.Errorf("a payload other than the one sent: %q", p)
	}
	if p := env.stored(ctx, "right-stored", strings.Replace(valid, `"quantity":1`, `"quantity":2`, 1), "right-stored"); !strings.Contains(p, "items") {
		t.Errorf("items other than the ones sent: %q", p)
	}
	if p := env.stored(ctx, "right-stored", valid, "right-duplicate"); !strings.Contains(p, "messageId") {
		t.Errorf("an item written by another message: %q", p)
	}
	if p := env.deadLetters(ctx, corpusRow{Name: "right-rejected", Body: badCode, Expect: "rejected"}); !strings.Contains(p, "holds 0 messages") {
		t.Errorf("a rejection the DLQ does not hold: %q", p)
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

// corpusEnv is the real handler on an empty table and DLQ of its own, with
// clients of its own to read both where a user would look.
type corpusEnv struct {
	h     *Handler
	logs  *bytes.Buffer
	db    *dynamodb.Client
	table string
	q     *sqs.Client
	dlq   string
}

func newCorpusEnv(t *testing.T, name string) *corpusEnv {
	t.Helper()
	mini, err := awslocal.StartDynamoDB()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mini.Close() })
	e := &corpusEnv{logs: new(bytes.Buffer), db: dynamoClient(mini.Endpoint), table: "corpus-" + name}
	createTable(t, e.db, e.table)
	e.q = awslocal.SQSClient(sqsServer(t).Endpoint)
	e.dlq = createQueue(t, e.q, "corpus-dlq-"+name)
	// A receive whose answer is lost (the SDK then retries it: its
	// "use of closed network connection", aws-sdk-go-v2 #2737) leaves its
	// messages in flight until the visibility timeout; a short one lets
	// deadLetters take them in.
	if _, err := e.q.SetQueueAttributes(context.Background(), &sqs.SetQueueAttributesInput{QueueUrl: aws.String(e.dlq),
		Attributes: map[string]string{"VisibilityTimeout": "1"}}); err != nil {
		t.Fatal(err)
	}
	e.h = &Handler{
		Store:       DynamoStore{Client: dynamoClient(mini.Endpoint), Table: e.table},
		DeadLetters: SQSDeadLetters{Client: e.q, QueueURL: e.dlq},
		Log:         slog.New(slog.NewJSONHandler(e.logs, nil)),
	}
	return e
}

// logLineMax bounds a record's log line: docs/handler.md promises a reason
// and its line stay "a few kilobytes" (16 KiB is a generous reading), far
// under CloudWatch Logs' 256 KiB event.
const logLineMax = 16 << 10

// run hands each row to the handler alone, in order, and says where the
// outcome is not the row's expectation (or is, for a row in disagree), and
// where the table or the DLQ is not as the docs say it is after that
// outcome. Each problem starts with the row's name; wrong counts the rows
// not in disagree whose outcome is wrong.
func (e *corpusEnv) run(t *testing.T, rows []corpusRow, disagree map[string]string) (problems []string, wrong int) {
	t.Helper()
	ctx := context.Background()
	bodies := map[string]string{}
	for _, row := range rows {
		e.logs.Reset()
		if _, err := e.h.Handle(ctx, events.SQSEvent{Records: []events.SQSMessage{{MessageId: row.Name, Body: row.Body}}}); err != nil {
			t.Fatal(err)
		}
		if n := e.logs.Len(); n > logLineMax {
			problems = append(problems, fmt.Sprintf("%s: a log line of %d bytes, over %d", row.Name, n, logLineMax))
		}
		var line struct{ MessageID, Outcome, Reason string }
		if err := json.Unmarshal(e.logs.Bytes(), &line); err != nil {
			t.Fatalf("%s: log %.500q: %v", row.Name, e.logs.String(), err)
		}
		if line.MessageID != row.Name {
			problems = append(problems, fmt.Sprintf("%s: logged with messageId %q", row.Name, line.MessageID))
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
		// The DLQ is emptied after every row; what the row leaves is checked
		// where its outcome is right.
		dlq := e.deadLetters(ctx, row)
		if got != "" || disagrees {
			continue
		}
		if dlq != "" {
			problems = append(problems, dlq)
		}
		switch _, ref, _ := strings.Cut(row.Expect, ":"); {
		case row.Expect == "stored":
			bodies[row.Name] = row.Body
			if p := e.stored(ctx, row.Name, row.Body, row.Name); p != "" {
				problems = append(problems, p)
			}
		case ref != "":
			if p := e.stored(ctx, row.Name, bodies[ref], ref); p != "" {
				problems = append(problems, p)
			}
		}
	}
	return problems, wrong
}

// stored says how the table's item for body's order is not the one the docs
// promise message messageID stored: the order JSON byte for byte, its
// fields as sent, written by that message (a re-send rewrites nothing).
func (e *corpusEnv) stored(ctx context.Context, name, body, messageID string) string {
	payload := orderJSON(body)
	var sent map[string]any
	dec := json.NewDecoder(strings.NewReader(payload))
	dec.UseNumber()
	if err := dec.Decode(&sent); err != nil {
		return fmt.Sprintf("%s: the stored row's order does not decode: %v", name, err)
	}
	id, _ := sent["orderId"].(string)
	out, err := e.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(e.table),
		Key:            map[string]types.AttributeValue{"orderId": &types.AttributeValueMemberS{Value: id}},
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return fmt.Sprintf("%s: reading order %q: %v", name, id, err)
	}
	str := func(k string) string {
		s, _ := out.Item[k].(*types.AttributeValueMemberS)
		if s == nil {
			return "<absent>"
		}
		return s.Value
	}
	var bad []string
	if got := str("payload"); got != payload {
		bad = append(bad, fmt.Sprintf("payload %.200q, sent %.200q", got, payload))
	}
	if got := str("messageId"); got != messageID {
		bad = append(bad, fmt.Sprintf("messageId %q, want %q", got, messageID))
	}
	for _, k := range []string{"customerId", "currency", "total", "createdAt"} {
		want, ok := sent[k].(string)
		if !ok {
			want = "<absent>"
		}
		if got := str(k); got != want {
			bad = append(bad, fmt.Sprintf("%s %q, sent %q", k, got, want))
		}
	}
	if got, want := storedItems(out.Item["items"]), sentItems(sent["items"]); got != want {
		bad = append(bad, fmt.Sprintf("items %.300s, sent %.300s", got, want))
	}
	if len(bad) == 0 {
		return ""
	}
	return fmt.Sprintf("%s: order %q in the table: %s", name, id, strings.Join(bad, "; "))
}

// sentItems and storedItems write an order's items as sku, quantity and
// unitPrice, as sent and as the table holds them, to compare the two.
func sentItems(v any) string {
	var b strings.Builder
	items, _ := v.([]any)
	for _, it := range items {
		m, _ := it.(map[string]any)
		fmt.Fprintf(&b, "[%q %v %q]", m["sku"], m["quantity"], m["unitPrice"])
	}
	return b.String()
}

func storedItems(v types.AttributeValue) string {
	var b strings.Builder
	l, _ := v.(*types.AttributeValueMemberL)
	if l == nil {
		return "<absent>"
	}
	for _, it := range l.Value {
		m, _ := it.(*types.AttributeValueMemberM)
		if m == nil {
			return fmt.Sprintf("<%T in the list>", it)
		}
		val := func(k string) string {
			switch a := m.Value[k].(type) {
			case *types.AttributeValueMemberS:
				return fmt.Sprintf("%q", a.Value)
			case *types.AttributeValueMemberN:
				return a.Value
			}
			return fmt.Sprintf("<%T>", m.Value[k])
		}
		fmt.Fprintf(&b, "[%s %s %s]", val("sku"), val("quantity"), val("unitPrice"))
	}
	return b.String()
}

// orderJSON is the order a body carries: the body, or its SNS envelope's
// Message (docs/handler.md, Delivery forms).
func orderJSON(body string) string {
	var env map[string]json.RawMessage
	if json.Unmarshal([]byte(body), &env) == nil && env["Type"] != nil && env["TopicArn"] != nil {
		var m string
		if json.Unmarshal(env["Message"], &m) == nil {
			return m
		}
	}
	return body
}

// deadLetters says how the DLQ is not as the docs say after row's outcome:
// a rejected message there once, with its body as sent and its reason;
// nothing for any other outcome. It empties the DLQ.
func (e *corpusEnv) deadLetters(ctx context.Context, row corpusRow) string {
	// goaws counts the messages in flight too: receive until all are in.
	attrs, err := e.q.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(e.dlq),
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages}})
	if err != nil {
		return fmt.Sprintf("%s: reading the DLQ: %v", row.Name, err)
	}
	held, _ := strconv.Atoi(attrs.Attributes[string(sqstypes.QueueAttributeNameApproximateNumberOfMessages)])
	var msgs []sqstypes.Message
	for end := time.Now().Add(3 * time.Second); len(msgs) < held && time.Now().Before(end); {
		out, err := e.q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl:              aws.String(e.dlq),
			MaxNumberOfMessages:   10,
			WaitTimeSeconds:       1,
			MessageAttributeNames: []string{"All"},
		})
		if err != nil {
			return fmt.Sprintf("%s: reading the DLQ: %v", row.Name, err)
		}
		msgs = append(msgs, out.Messages...)
	}
	if len(msgs) < held {
		return fmt.Sprintf("%s: the DLQ holds %d messages; %d could be received", row.Name, held, len(msgs))
	}
	var bad []string
	for _, m := range msgs {
		if _, err := e.q.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(e.dlq), ReceiptHandle: m.ReceiptHandle}); err != nil {
			return fmt.Sprintf("%s: emptying the DLQ: %v", row.Name, err)
		}
		attr := func(k string) string {
			if v, ok := m.MessageAttributes[k]; ok && v.StringValue != nil {
				return *v.StringValue
			}
			return ""
		}
		if aws.ToString(m.Body) != row.Body {
			bad = append(bad, fmt.Sprintf("body %.200q, sent %.200q", aws.ToString(m.Body), row.Body))
		}
		if got := attr("orderpipe.originalMessageId"); got != row.Name {
			bad = append(bad, fmt.Sprintf("orderpipe.originalMessageId %q", got))
		}
		if attr("orderpipe.reason") == "" {
			bad = append(bad, "no orderpipe.reason")
		}
		if _, err := time.Parse(time.RFC3339Nano, attr("orderpipe.rejectedAt")); err != nil {
			bad = append(bad, fmt.Sprintf("orderpipe.rejectedAt: %v", err))
		}
	}
	want := 0
	if row.Expect == "rejected" {
		want = 1
	}
	if len(msgs) != want {
		bad = append(bad, fmt.Sprintf("the DLQ holds %d messages, want %d", len(msgs), want))
	}
	if len(bad) == 0 {
		return ""
	}
	return fmt.Sprintf("%s: %s", row.Name, strings.Join(bad, "; "))
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
		// Every problem, not only the ones a reason lists.
		_, err := parseOrder(row.Body, time.Now(), math.MaxInt)
		var ve ValidationError
		if errors.As(err, &ve) {
			for _, fe := range ve.Problems {
				if fe.Field == row.Field {
					return ""
				}
			}
		}
		return fmt.Sprintf("rejected without naming %s: %v", row.Field, err)
	}
	return string(got)
}
