package filetable

// The corpus in testdata/api-corpus.json was written from AWS's DynamoDB API
// Reference and Developer Guide only, not from any stand-in's code: every row
// names the page and the sentence it comes from. The same rows run against
// dynalite (a maintained emulator) and against the file table; where a backend
// departs from the documentation, the row stays as the docs say and the
// backend's disagreement map below says why, and a map entry that the backend
// no longer needs fails the run.
//
// Every request goes through the aws-sdk-go-v2 dynamodb client (its signing,
// its JSON 1.0 protocol, its typed errors, its CRC32 check of the response),
// but with the corpus's own JSON as the body: the client's input validation is
// taken off and the serialized body replaced, because a quarter of the rows
// send what the typed client cannot express or would refuse before sending
// (two members in one AttributeValue, NULL false, an empty AttributeValue, a
// missing key, an operation that does not exist). Responses are compared as
// the server sent them, so a round trip is checked byte for byte in the wire
// form.

import (
	"bytes"
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/big"
	"os"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/orderpipe/orderpipe/internal/awslocal/awslocaltest"
	"github.com/orderpipe/orderpipe/internal/proctest"
)

// corpusUnsupportedMessage is what the file table's refusal of a feature outside
// its scope must say.
const corpusUnsupportedMessage = "orderpipe's file table does not support"

// dynaliteDisagrees lists the rows where dynalite 4.0.0 departs from AWS's
// documentation, with the documentation's sentence. Each such row must fail
// on dynalite (so the entry is not stale) and runs as the docs say elsewhere.
var dynaliteDisagrees = map[string]string{
	"attribute-name-64kb":              "stores an attribute whose name is 65536 bytes; the Developer Guide: \"Attribute names must be at least one character long and less than 64 KB in size.\"",
	"attribute-name-empty":             "stores an attribute named \"\"; the Developer Guide: \"Attribute names must be at least one character long and less than 64 KB in size.\"",
	"key-partition-2049-multibyte":     "measures a key in characters, not bytes: 683 euro signs (2049 bytes) are stored; the Developer Guide: \"The minimum length of a partition key value is 1 byte. The maximum length is 2048 bytes.\"",
	"size-multibyte-over-400kb":        "measures a string in characters, not UTF-8 bytes: an item of 409601 bytes is stored; the Developer Guide: \"The size of a string is (number of UTF-8-encoded bytes of attribute name) + (number of UTF-8-encoded bytes).\"",
	"cond-return-all-old-on-failure":   "ignores ReturnValuesOnConditionCheckFailure, so the ConditionalCheckFailedException carries no Item; the API Reference: \"An optional parameter that returns the item attributes for a PutItem operation that failed a condition check.\"",
	"cond-return-on-failure-bad-value": "accepts any ReturnValuesOnConditionCheckFailure; the API Reference: \"For ReturnValuesOnConditionCheckFailure, the valid values are: NONE and ALL_OLD.\"",
	"unsupported-transact-write":       "has no TransactWriteItems (UnknownOperationException); the API Reference: \"TransactWriteItems is a synchronous write operation that groups up to 100 action requests.\"",
}

// fileTableDisagrees is the same map for the file table.
var fileTableDisagrees = map[string]string{}

func TestCorpusOnDynalite(t *testing.T) {
	proctest.Check(t, 5*time.Second, "")
	runCorpus(t, awslocaltest.Dynalite(t), false)
}

// corpus is testdata/api-corpus.json.
type corpus struct {
	About string       `json:"about"`
	Cases []corpusCase `json:"cases"`
}

type corpusCase struct {
	ID    string `json:"id"`
	Class string `json:"class"`
	Doc   string `json:"doc"`
	Says  string `json:"says"`
	// Note says how the row reads the sentence where it is not literal.
	Note string `json:"note"`
	// Table is the case's table: the name and type of its hash key and,
	// when there are two, of its range key. Absent: a hash key "pk" of type
	// S; an empty list: no table is made (the case makes its own or none).
	Table *[]corpusKeyDef `json:"table"`
	// FileTable is "unsupported" where the file table must refuse the
	// step marked unsupported (the last step when none is marked).
	FileTable string `json:"fileTable"`
	// ItemBytes, when set, is the size of the first step's Item by the
	// Developer Guide's rules; the runner checks it before sending, so a
	// boundary row is on its boundary.
	ItemBytes int          `json:"itemBytes"`
	Steps     []corpusStep `json:"steps"`
}

type corpusKeyDef struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

type corpusStep struct {
	Op          string            `json:"op"`
	Request     json.RawMessage   `json:"request"`
	Expect      corpusExpectation `json:"expect"`
	Unsupported bool              `json:"unsupported"`
	// Refusal is the error the file table answers an unsupported step with:
	// ValidationException unless said otherwise.
	Refusal string `json:"refusal"`
}

type corpusExpectation struct {
	Error           string `json:"error"`
	MessageContains string `json:"messageContains"`

	Item       map[string]any `json:"item"`
	NoItem     bool           `json:"noItem"`
	Attributes map[string]any `json:"attributes"`
	// NoAttributes: the response carries no Attributes.
	NoAttributes bool           `json:"noAttributes"`
	ErrorItem    map[string]any `json:"errorItem"`
	NoErrorItem  bool           `json:"noErrorItem"`

	// Items are compared as a multiset: a Scan's order is the table's.
	Items            []map[string]any `json:"items"`
	Count            *int             `json:"count"`
	ScannedCount     *int             `json:"scannedCount"`
	LastEvaluatedKey *bool            `json:"lastEvaluatedKey"`
	// LastEvaluatedKeyNames are the attribute names the key holds.
	LastEvaluatedKeyNames []string `json:"lastEvaluatedKeyNames"`

	// ScanAll: at least MinPages pages; and no page goes on past 1 MB.
	MinPages int `json:"minPages"`

	TableStatus            string   `json:"tableStatus"`
	KeySchema              []any    `json:"keySchema"`
	TableNamesInclude      []string `json:"tableNamesInclude"`
	TableNamesExclude      []string `json:"tableNamesExclude"`
	TableNamesCount        *int     `json:"tableNamesCount"`
	LastEvaluatedTableName *bool    `json:"lastEvaluatedTableName"`
}

func loadCorpus(t *testing.T) corpus {
	t.Helper()
	b, err := os.ReadFile("testdata/api-corpus.json")
	if err != nil {
		t.Fatal(err)
	}
	var c corpus
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		t.Fatalf("testdata/api-corpus.json: %v", err)
	}
	return c
}

// runCorpus runs every case of the corpus against the DynamoDB endpoint,
// each in a table of its own. fileTable says the endpoint is the file table,
// whose refusals of what it does not support are checked instead.
func runCorpus(t *testing.T, endpoint string, fileTable bool) {
	c := loadCorpus(t)
	disagrees := dynaliteDisagrees
	if fileTable {
		disagrees = fileTableDisagrees
	}
	ids := map[string]bool{}
	for _, cs := range c.Cases {
		if ids[cs.ID] {
			t.Fatalf("case id %q twice", cs.ID)
		}
		ids[cs.ID] = true
	}
	for id := range disagrees {
		if !ids[id] {
			t.Errorf("disagreement map names %q, which is no case", id)
		}
	}
	db := newCorpusClient(endpoint)
	for _, cs := range c.Cases {
		t.Run(cs.ID, func(t *testing.T) {
			if cs.Doc == "" || cs.Says == "" || cs.Class == "" {
				t.Fatal("the row names no class, doc page or sentence")
			}
			failures := corpusRunCase(t.Context(), db, cs, fileTable)
			reason, known := disagrees[cs.ID]
			switch {
			case known && len(failures) == 0:
				t.Errorf("listed as a disagreement (%s), but the backend now does what the docs say: drop the entry", reason)
			case known:
				t.Logf("disagrees with the docs, as listed: %s; %s", reason, strings.Join(failures, "; "))
			case len(failures) > 0:
				t.Errorf("%s\n  doc: %s\n  says: %s", strings.Join(failures, "\n  "), cs.Doc, cs.Says)
			}
		})
	}
}

// corpusRunCase returns what in the case went other than expected.
func corpusRunCase(ctx context.Context, db *corpusRawClient, cs corpusCase, fileTable bool) []string {
	table := "c-" + cs.ID
	keys := []corpusKeyDef{{"pk", "S"}}
	if cs.Table != nil {
		keys = *cs.Table
	}
	if len(keys) > 0 {
		if err := db.createTable(ctx, table, keys); err != nil {
			return []string{"setup: " + err.Error()}
		}
	}
	refused := -1
	if fileTable && cs.FileTable == "unsupported" {
		refused = len(cs.Steps) - 1
		for i, s := range cs.Steps {
			if s.Unsupported {
				refused = i
				break
			}
		}
	}
	for i, step := range cs.Steps {
		req, err := corpusExpandJSON(step.Request, table)
		if err != nil {
			return []string{fmt.Sprintf("step %d: %v", i, err)}
		}
		if i == 0 && cs.ItemBytes > 0 {
			if got, err := corpusRequestItemSize(req); err != nil || got != cs.ItemBytes {
				return []string{fmt.Sprintf("the row's item is %d bytes by the Developer Guide's rules, not the %d it says (%v)", got, cs.ItemBytes, err)}
			}
		}
		exp, err := corpusExpandExpectation(step.Expect, table)
		if err != nil {
			return []string{fmt.Sprintf("step %d: %v", i, err)}
		}
		op := step.Op
		if i == refused {
			exp = corpusExpectation{Error: cmp.Or(step.Refusal, "ValidationException"), MessageContains: corpusUnsupportedMessage}
			// A refusal is one answer, not pages.
			op = strings.TrimSuffix(op, "All")
		}
		var fails []string
		switch op {
		case "ScanAll":
			fails = db.scanAll(ctx, req, exp)
		case "ListTablesAll":
			fails = db.listAll(ctx, req, exp, table)
		default:
			body, code, err := db.call(ctx, op, req)
			fails = corpusCheck(body, code, err, exp, table)
		}
		for j := range fails {
			fails[j] = fmt.Sprintf("step %d (%s): %s", i, step.Op, fails[j])
		}
		if len(fails) > 0 {
			return fails
		}
		if i == refused {
			return nil
		}
		if step.Op == "CreateTable" && exp.Error == "" {
			if err := db.waitActive(ctx, corpusTableNameOf(req)); err != nil {
				return []string{fmt.Sprintf("step %d: %v", i, err)}
			}
		}
		if step.Op == "DeleteTable" && exp.Error == "" {
			if err := db.waitGone(ctx, corpusTableNameOf(req)); err != nil {
				return []string{fmt.Sprintf("step %d: %v", i, err)}
			}
		}
	}
	return nil
}

// corpusCheck compares one response with what the step expects.
func corpusCheck(body []byte, code string, callErr error, exp corpusExpectation, table string) []string {
	var fails []string
	failf := func(format string, args ...any) { fails = append(fails, fmt.Sprintf(format, args...)) }
	var resp map[string]any
	if len(body) > 0 {
		if err := json.Unmarshal(body, &resp); err != nil {
			return []string{fmt.Sprintf("response is not JSON: %v: %.200s", err, body)}
		}
	}
	if exp.Error != "" {
		if callErr == nil {
			return []string{fmt.Sprintf("want %s, got success: %.300s", exp.Error, body)}
		}
		if code != exp.Error {
			return []string{fmt.Sprintf("want %s, got %s: %v", exp.Error, code, callErr)}
		}
		msg := cmp.Or(corpusStr(resp["message"]), corpusStr(resp["Message"]))
		if exp.MessageContains != "" && !strings.Contains(msg, exp.MessageContains) {
			failf("the %s says %q, not containing %q", code, msg, exp.MessageContains)
		}
		if exp.ErrorItem != nil {
			corpusCmpAV(&fails, "the error's Item", resp["Item"], corpusToAny(exp.ErrorItem))
		}
		if exp.NoErrorItem && resp["Item"] != nil {
			failf("the error carries an Item: %v", resp["Item"])
		}
		return fails
	}
	if callErr != nil {
		return []string{fmt.Sprintf("want success, got %s: %v", code, callErr)}
	}
	if exp.Item != nil {
		corpusCmpAV(&fails, "Item", resp["Item"], corpusToAny(exp.Item))
	}
	if exp.NoItem && resp["Item"] != nil {
		failf("want no Item, got %v", resp["Item"])
	}
	if exp.Attributes != nil {
		corpusCmpAV(&fails, "Attributes", resp["Attributes"], corpusToAny(exp.Attributes))
	}
	if exp.NoAttributes && resp["Attributes"] != nil {
		failf("want no Attributes, got %v", resp["Attributes"])
	}
	if exp.Items != nil {
		got, _ := resp["Items"].([]any)
		corpusCmpItemSet(&fails, got, exp.Items)
	}
	if exp.Count != nil && corpusNum(resp["Count"]) != *exp.Count {
		failf("Count %v, want %d", resp["Count"], *exp.Count)
	}
	if exp.ScannedCount != nil && corpusNum(resp["ScannedCount"]) != *exp.ScannedCount {
		failf("ScannedCount %v, want %d", resp["ScannedCount"], *exp.ScannedCount)
	}
	if exp.LastEvaluatedKey != nil && (resp["LastEvaluatedKey"] != nil) != *exp.LastEvaluatedKey {
		failf("LastEvaluatedKey %v, want present: %v", resp["LastEvaluatedKey"], *exp.LastEvaluatedKey)
	}
	if exp.LastEvaluatedKeyNames != nil {
		lek, _ := resp["LastEvaluatedKey"].(map[string]any)
		names := slices.Sorted(maps.Keys(lek))
		if !slices.Equal(names, slices.Sorted(slices.Values(exp.LastEvaluatedKeyNames))) {
			failf("LastEvaluatedKey holds %v, want %v", names, exp.LastEvaluatedKeyNames)
		}
	}
	desc, _ := resp["Table"].(map[string]any)
	if desc == nil {
		desc, _ = resp["TableDescription"].(map[string]any)
	}
	if exp.TableStatus != "" && corpusStr(desc["TableStatus"]) != exp.TableStatus {
		failf("TableStatus %v, want %s", desc["TableStatus"], exp.TableStatus)
	}
	if exp.KeySchema != nil && !reflect.DeepEqual(desc["KeySchema"], exp.KeySchema) {
		failf("KeySchema %v, want %v", desc["KeySchema"], exp.KeySchema)
	}
	var names []string
	for _, n := range corpusAsSlice(resp["TableNames"]) {
		names = append(names, corpusStr(n))
	}
	for _, n := range exp.TableNamesInclude {
		if n = corpusExpandString(n, table); !slices.Contains(names, n) {
			failf("TableNames %v lack %s", names, n)
		}
	}
	for _, n := range exp.TableNamesExclude {
		if n = corpusExpandString(n, table); slices.Contains(names, n) {
			failf("TableNames %v hold %s", names, n)
		}
	}
	if exp.TableNamesCount != nil && len(names) != *exp.TableNamesCount {
		failf("%d TableNames, want %d", len(names), *exp.TableNamesCount)
	}
	if exp.LastEvaluatedTableName != nil && (resp["LastEvaluatedTableName"] != nil) != *exp.LastEvaluatedTableName {
		failf("LastEvaluatedTableName %v, want present: %v", resp["LastEvaluatedTableName"], *exp.LastEvaluatedTableName)
	}
	return fails
}

// scanAll pages a Scan through the whole table: every item exactly once,
// at least MinPages pages, and no page going on after it holds 1 MB.
func (db *corpusRawClient) scanAll(ctx context.Context, req []byte, exp corpusExpectation) []string {
	var all []any
	pages := 0
	fails := db.eachPage(ctx, "Scan", req, "ExclusiveStartKey", "LastEvaluatedKey", func(n int, resp map[string]any) string {
		pages = n
		items := corpusAsSlice(resp["Items"])
		if corpusNum(resp["Count"]) != len(items) {
			return fmt.Sprintf("page %d: Count %v for %d items", n, resp["Count"], len(items))
		}
		before := 0
		for i := 0; i < len(items)-1; i++ {
			before += corpusItemSize(items[i].(map[string]any))
		}
		if before >= 1<<20 {
			return fmt.Sprintf("page %d went on after %d bytes of items, past 1 MB", n, before)
		}
		all = append(all, items...)
		return ""
	})
	if len(fails) > 0 {
		return fails
	}
	if pages < exp.MinPages {
		fails = append(fails, fmt.Sprintf("%d pages, want at least %d", pages, exp.MinPages))
	}
	if exp.Items != nil {
		corpusCmpItemSet(&fails, all, exp.Items)
	}
	if exp.Count != nil && len(all) != *exp.Count {
		fails = append(fails, fmt.Sprintf("%d items over all pages, want %d", len(all), *exp.Count))
	}
	return fails
}

// listAll pages ListTables through every table, checking the names.
func (db *corpusRawClient) listAll(ctx context.Context, req []byte, exp corpusExpectation, table string) []string {
	var names []any
	fails := db.eachPage(ctx, "ListTables", req, "ExclusiveStartTableName", "LastEvaluatedTableName", func(_ int, resp map[string]any) string {
		names = append(names, corpusAsSlice(resp["TableNames"])...)
		return ""
	})
	if len(fails) > 0 {
		return fails
	}
	all, _ := json.Marshal(map[string]any{"TableNames": names})
	return corpusCheck(all, "", nil, exp, table)
}

// eachPage sends op again and again, each time with startField set to the
// lastField of the answer before, until an answer has none; page sees each
// answer and says what is wrong with it, if anything.
func (db *corpusRawClient) eachPage(ctx context.Context, op string, req []byte, startField, lastField string, page func(n int, resp map[string]any) string) []string {
	var base map[string]any
	if err := json.Unmarshal(req, &base); err != nil {
		return []string{err.Error()}
	}
	for n := 1; n <= 1000; n++ {
		b, _ := json.Marshal(base)
		body, code, err := db.call(ctx, op, b)
		if err != nil {
			return []string{fmt.Sprintf("page %d: %s: %v", n, code, err)}
		}
		var resp map[string]any
		if err := json.Unmarshal(body, &resp); err != nil {
			return []string{fmt.Sprintf("page %d: %v", n, err)}
		}
		if f := page(n, resp); f != "" {
			return []string{f}
		}
		last := resp[lastField]
		if last == nil {
			return nil
		}
		base[startField] = last
	}
	return []string{"more than 1000 pages"}
}

// corpusCmpItemSet compares items as a multiset.
func corpusCmpItemSet(fails *[]string, got []any, want []map[string]any) {
	key := func(v any) string { b, _ := json.Marshal(corpusCanonical(v)); return string(b) }
	var g, w []string
	for _, it := range got {
		g = append(g, key(it))
	}
	for _, it := range want {
		w = append(w, key(corpusToAny(it)))
	}
	sort.Strings(g)
	sort.Strings(w)
	if !slices.Equal(g, w) {
		*fails = append(*fails, fmt.Sprintf("Items\n    got  %s\n    want %s", corpusShort(strings.Join(g, ", ")), corpusShort(strings.Join(w, ", "))))
	}
}

// corpusCmpAV compares attribute maps exactly, except that a set's members are
// unordered ("The order of the values within a set is not preserved").
func corpusCmpAV(fails *[]string, what string, got, want any) {
	g, _ := json.Marshal(corpusCanonical(got))
	w, _ := json.Marshal(corpusCanonical(want))
	if !bytes.Equal(g, w) {
		*fails = append(*fails, fmt.Sprintf("%s\n    got  %s\n    want %s", what, corpusShort(string(g)), corpusShort(string(w))))
	}
}

func corpusShort(s string) string {
	if len(s) > 400 {
		return s[:400] + fmt.Sprintf("… (%d bytes)", len(s))
	}
	return s
}

// corpusCanonical sorts the members of every SS, NS and BS.
func corpusCanonical(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, x := range v {
			if (k == "SS" || k == "NS" || k == "BS") && len(v) == 1 {
				members := slices.Clone(corpusAsSlice(x))
				sort.Slice(members, func(i, j int) bool { return corpusStr(members[i]) < corpusStr(members[j]) })
				out[k] = members
				continue
			}
			out[k] = corpusCanonical(x)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = corpusCanonical(x)
		}
		return out
	}
	return v
}

func corpusToAny(m map[string]any) any {
	b, _ := json.Marshal(m)
	var v any
	_ = json.Unmarshal(b, &v)
	return v
}

func corpusStr(v any) string { s, _ := v.(string); return s }

func corpusNum(v any) int {
	f, ok := v.(float64)
	if !ok {
		return -1
	}
	return int(f)
}

func corpusAsSlice(v any) []any { s, _ := v.([]any); return s }

// corpusExpandExpectation applies corpusExpandJSON to what a step expects.
func corpusExpandExpectation(exp corpusExpectation, table string) (corpusExpectation, error) {
	b, err := json.Marshal(exp)
	if err != nil {
		return exp, err
	}
	if b, err = corpusExpandJSON(b, table); err != nil {
		return exp, err
	}
	var out corpusExpectation
	err = json.Unmarshal(b, &out)
	return out, err
}

// corpusExpandJSON replaces the corpus's shorthands: "$T" (as a whole string) is
// the case's table; {"$repeat": "ab", "times": 3, "then": "c"} is
// "abababc" ("then" optional); "$name300" (a whole string, or a map key)
// is a name of 300 n's; and
// {"$bytes": 255, "times": 3} is the base64 of three bytes of 255. They keep
// the 400 KB rows readable.
func corpusExpandJSON(raw json.RawMessage, table string) ([]byte, error) {
	if len(raw) == 0 {
		return []byte("{}"), nil
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, err
	}
	v, err := corpusExpand(v, table)
	if err != nil {
		return nil, err
	}
	return json.Marshal(v)
}

func corpusExpand(v any, table string) (any, error) {
	switch v := v.(type) {
	case string:
		return corpusExpandString(v, table), nil
	case []any:
		for i := range v {
			x, err := corpusExpand(v[i], table)
			if err != nil {
				return nil, err
			}
			v[i] = x
		}
		return v, nil
	case map[string]any:
		if unit, ok := v["$repeat"]; ok {
			return strings.Repeat(corpusStr(unit), corpusNum(v["times"])) + corpusStr(v["then"]), nil
		}
		if b, ok := v["$bytes"]; ok {
			return base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{byte(corpusNum(b))}, corpusNum(v["times"]))), nil
		}
		out := map[string]any{}
		for k, x := range v {
			k = corpusExpandString(k, table)
			x, err := corpusExpand(x, table)
			if err != nil {
				return nil, err
			}
			out[k] = x
		}
		return out, nil
	}
	return v, nil
}

func corpusExpandString(s, table string) string {
	if s == "$T" {
		return table
	}
	if n, ok := strings.CutPrefix(s, "$name"); ok {
		if times, err := strconv.Atoi(n); err == nil {
			return strings.Repeat("n", times)
		}
	}
	return s
}

func corpusTableNameOf(req []byte) string {
	var r struct{ TableName string }
	_ = json.Unmarshal(req, &r)
	return r.TableName
}

// corpusRequestItemSize is the size of a request's Item.
func corpusRequestItemSize(req []byte) (int, error) {
	var r struct{ Item map[string]any }
	if err := json.Unmarshal(req, &r); err != nil {
		return 0, err
	}
	if r.Item == nil {
		return 0, errors.New("the first step has no Item")
	}
	return corpusItemSize(r.Item), nil
}

// corpusItemSize is an item's size by the Developer Guide's "DynamoDB item sizes
// and formats": names and values in UTF-8 bytes, binaries raw, a number one
// byte per two significant digits plus one, null and Boolean one byte, a
// list or map three bytes plus its elements, each one byte more. The page
// says nothing of sets; a set counts its members' sizes here.
func corpusItemSize(item map[string]any) int {
	n := 0
	for name, v := range item {
		n += len(name) + corpusValueSize(v)
	}
	return n
}

func corpusValueSize(av any) int {
	m, _ := av.(map[string]any)
	for typ, v := range m {
		switch typ {
		case "S":
			return len(corpusStr(v))
		case "N":
			return corpusNumberSize(corpusStr(v))
		case "B":
			b, _ := base64.StdEncoding.DecodeString(corpusStr(v))
			return len(b)
		case "BOOL", "NULL":
			return 1
		case "SS", "NS", "BS":
			n := 0
			for _, x := range corpusAsSlice(v) {
				n += corpusValueSize(map[string]any{typ[:1]: x})
			}
			return n
		case "L":
			n := 3
			for _, x := range corpusAsSlice(v) {
				n += corpusValueSize(x) + 1
			}
			return n
		case "M":
			n := 3
			for name, x := range v.(map[string]any) {
				n += len(name) + corpusValueSize(x) + 1
			}
			return n
		}
	}
	return 0
}

var corpusZeros = regexp.MustCompile(`^0+|0+$`)

func corpusNumberSize(s string) int {
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return 0
	}
	digits := r.FloatString(140)
	digits = strings.NewReplacer("-", "", ".", "").Replace(digits)
	sig := len(corpusZeros.ReplaceAllString(digits, ""))
	return (sig+1)/2 + 1
}

// corpusRawClient sends the corpus's JSON through the SDK's client.
type corpusRawClient struct {
	db *dynamodb.Client
}

func newCorpusClient(endpoint string) *corpusRawClient {
	return &corpusRawClient{db: dynamodb.New(dynamodb.Options{
		BaseEndpoint:     aws.String(endpoint),
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider("corpus", "corpus", ""),
		RetryMaxAttempts: 1,
	})}
}

// call sends body as the operation op and returns the response body as the
// server sent it, with the error code when it is an error.
func (c *corpusRawClient) call(ctx context.Context, op string, body []byte) ([]byte, string, error) {
	var got []byte
	opt := func(o *dynamodb.Options) {
		o.APIOptions = append(o.APIOptions, func(stack *middleware.Stack) error {
			// The corpus's requests are the API Reference's JSON, not the
			// typed client's; the server validates them, not the client.
			if _, err := stack.Initialize.Remove("OperationInputValidation"); err != nil && !strings.Contains(err.Error(), "not found") {
				return err
			}
			if err := stack.Serialize.Insert(middleware.SerializeMiddlewareFunc("CorpusBody",
				func(ctx context.Context, in middleware.SerializeInput, next middleware.SerializeHandler) (middleware.SerializeOutput, middleware.Metadata, error) {
					req, ok := in.Request.(*smithyhttp.Request)
					if !ok {
						return middleware.SerializeOutput{}, middleware.Metadata{}, fmt.Errorf("request is %T", in.Request)
					}
					req.Header.Set("X-Amz-Target", "DynamoDB_20120810."+op)
					r, err := req.SetStream(bytes.NewReader(body))
					if err != nil {
						return middleware.SerializeOutput{}, middleware.Metadata{}, err
					}
					in.Request = r
					return next.HandleSerialize(ctx, in)
				}), "OperationSerializer", middleware.After); err != nil {
				return err
			}
			// Innermost, so it reads the body before the SDK does.
			return stack.Deserialize.Add(middleware.DeserializeMiddlewareFunc("CorpusResponse",
				func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
					out, md, err := next.HandleDeserialize(ctx, in)
					if err != nil {
						return out, md, err
					}
					if resp, ok := out.RawResponse.(*smithyhttp.Response); ok {
						b, rerr := io.ReadAll(resp.Body)
						resp.Body.Close()
						if rerr != nil {
							return out, md, rerr
						}
						got = b
						resp.Body = io.NopCloser(bytes.NewReader(b))
					}
					return out, md, nil
				}), middleware.After)
		})
	}
	var err error
	switch op {
	case "PutItem":
		_, err = c.db.PutItem(ctx, &dynamodb.PutItemInput{}, opt)
	case "GetItem":
		_, err = c.db.GetItem(ctx, &dynamodb.GetItemInput{}, opt)
	case "Scan":
		_, err = c.db.Scan(ctx, &dynamodb.ScanInput{}, opt)
	case "CreateTable":
		_, err = c.db.CreateTable(ctx, &dynamodb.CreateTableInput{}, opt)
	case "DescribeTable":
		_, err = c.db.DescribeTable(ctx, &dynamodb.DescribeTableInput{}, opt)
	case "DeleteTable":
		_, err = c.db.DeleteTable(ctx, &dynamodb.DeleteTableInput{}, opt)
	case "UpdateItem":
		_, err = c.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{}, opt)
	case "DeleteItem":
		_, err = c.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{}, opt)
	case "Query":
		_, err = c.db.Query(ctx, &dynamodb.QueryInput{}, opt)
	case "BatchWriteItem":
		_, err = c.db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{}, opt)
	case "BatchGetItem":
		_, err = c.db.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{}, opt)
	case "TransactWriteItems":
		_, err = c.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{}, opt)
	case "UpdateTable":
		_, err = c.db.UpdateTable(ctx, &dynamodb.UpdateTableInput{}, opt)
	default:
		// ListTables, and operations DynamoDB does not have: ListTables's
		// output and errors are the nearest (its output is not used; the
		// body is compared as sent).
		_, err = c.db.ListTables(ctx, &dynamodb.ListTablesInput{}, opt)
	}
	if err == nil {
		return got, "", nil
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return got, ae.ErrorCode(), err
	}
	return got, "", err
}

func (c *corpusRawClient) createTable(ctx context.Context, name string, keys []corpusKeyDef) error {
	var defs, schema []map[string]string
	for i, k := range keys {
		defs = append(defs, map[string]string{"AttributeName": k.Name, "AttributeType": k.Type})
		schema = append(schema, map[string]string{"AttributeName": k.Name, "KeyType": []string{"HASH", "RANGE"}[i]})
	}
	b, _ := json.Marshal(map[string]any{
		"TableName": name, "AttributeDefinitions": defs, "KeySchema": schema, "BillingMode": "PAY_PER_REQUEST",
	})
	if _, code, err := c.call(ctx, "CreateTable", b); err != nil {
		return fmt.Errorf("create table %s: %s: %w", name, code, err)
	}
	return c.waitActive(ctx, name)
}

// waitActive waits, with the SDK's waiter, for a table to be ACTIVE.
func (c *corpusRawClient) waitActive(ctx context.Context, name string) error {
	return dynamodb.NewTableExistsWaiter(c.db, func(o *dynamodb.TableExistsWaiterOptions) {
		o.MinDelay, o.MaxDelay = 20*time.Millisecond, 200*time.Millisecond
	}).Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)}, 30*time.Second)
}

// waitGone waits, with the SDK's waiter, for a table to be gone.
func (c *corpusRawClient) waitGone(ctx context.Context, name string) error {
	return dynamodb.NewTableNotExistsWaiter(c.db, func(o *dynamodb.TableNotExistsWaiterOptions) {
		o.MinDelay, o.MaxDelay = 20*time.Millisecond, 200*time.Millisecond
	}).Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)}, 30*time.Second)
}
