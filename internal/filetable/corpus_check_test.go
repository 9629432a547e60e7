package filetable

import (
	"encoding/json"
	"errors"
	"testing"
)

// The runner's own checks, without a server: a corpus that cannot fail
// proves nothing.

func TestCorpusItemSizeFollowsTheDeveloperGuide(t *testing.T) {
	for _, tc := range []struct {
		item string
		want int
	}{
		{`{"a": {"S": "xyz"}}`, 1 + 3},
		{`{"é": {"S": "€"}}`, 2 + 3},               // UTF-8 bytes, not characters
		{`{"ab": {"N": "12345"}}`, 2 + 3 + 1},      // one byte per two significant digits, rounded up, plus one
		{`{"n": {"N": "-001200.000"}}`, 1 + 1 + 1}, // leading and trailing zeroes are not significant
		{`{"n": {"N": "0.0012"}}`, 1 + 1 + 1},      // nor are the zeroes after the point
		{`{"b": {"B": "AAEC"}}`, 1 + 3},            // the raw bytes, not the base64
		{`{"t": {"BOOL": false}, "z": {"NULL": true}}`, 2 + 2},
		{`{"l": {"L": []}}`, 1 + 3}, // an empty list: its name and 3 bytes
		{`{"l": {"L": [{"S": "a"}, {"N": "1"}]}}`, 1 + 3 + (1 + 1) + (2 + 1)},
		{`{"m": {"M": {"x": {"S": "y"}}}}`, 1 + 3 + (1 + 1 + 1)},
		{`{"s": {"SS": ["ab", ""]}, "ns": {"NS": ["10", "7"]}}`, 1 + 2 + 2 + 2 + 2},
	} {
		var item map[string]any
		if err := json.Unmarshal([]byte(tc.item), &item); err != nil {
			t.Fatal(err)
		}
		if got := corpusItemSize(item); got != tc.want {
			t.Errorf("itemSize(%s) = %d, want %d", tc.item, got, tc.want)
		}
	}
}

func TestCorpusCheckFindsWhatDiffers(t *testing.T) {
	yes, no := true, false
	two := 2
	refused := errors.New("refused")
	for _, tc := range []struct {
		name  string
		body  string
		code  string
		err   error
		exp   corpusExpectation
		fails bool
	}{
		{"same item", `{"Item": {"pk": {"S": "k"}, "n": {"N": "1.5"}}}`, "", nil,
			corpusExpectation{Item: map[string]any{"pk": map[string]any{"S": "k"}, "n": map[string]any{"N": "1.5"}}}, false},
		{"number in another form", `{"Item": {"n": {"N": "1.50"}}}`, "", nil,
			corpusExpectation{Item: map[string]any{"n": map[string]any{"N": "1.5"}}}, true},
		{"attribute of another type", `{"Item": {"n": {"S": "1.5"}}}`, "", nil,
			corpusExpectation{Item: map[string]any{"n": map[string]any{"N": "1.5"}}}, true},
		{"an attribute more", `{"Item": {"n": {"N": "1"}, "x": {"NULL": true}}}`, "", nil,
			corpusExpectation{Item: map[string]any{"n": map[string]any{"N": "1"}}}, true},
		{"set in another order", `{"Item": {"s": {"SS": ["b", "a"]}}}`, "", nil,
			corpusExpectation{Item: map[string]any{"s": map[string]any{"SS": []any{"a", "b"}}}}, false},
		{"list in another order", `{"Item": {"l": {"L": [{"S": "b"}, {"S": "a"}]}}}`, "", nil,
			corpusExpectation{Item: map[string]any{"l": map[string]any{"L": []any{map[string]any{"S": "a"}, map[string]any{"S": "b"}}}}}, true},
		{"item where none is", `{"Item": {}}`, "", nil, corpusExpectation{NoItem: true}, true},
		{"items in another order", `{"Items": [{"k": {"S": "b"}}, {"k": {"S": "a"}}], "Count": 2}`, "", nil,
			corpusExpectation{Items: []map[string]any{{"k": map[string]any{"S": "a"}}, {"k": map[string]any{"S": "b"}}}, Count: &two}, false},
		{"an item twice", `{"Items": [{"k": {"S": "a"}}, {"k": {"S": "a"}}]}`, "", nil,
			corpusExpectation{Items: []map[string]any{{"k": map[string]any{"S": "a"}}, {"k": map[string]any{"S": "b"}}}}, true},
		{"no last key where one is due", `{"Items": [], "Count": 0}`, "", nil, corpusExpectation{LastEvaluatedKey: &yes}, true},
		{"a last key where none is due", `{"LastEvaluatedKey": {"k": {"S": "a"}}}`, "", nil, corpusExpectation{LastEvaluatedKey: &no}, true},
		{"a last key with more than the key", `{"LastEvaluatedKey": {"pk": {"S": "a"}, "v": {"S": "b"}}}`, "", nil,
			corpusExpectation{LastEvaluatedKeyNames: []string{"pk"}}, true},
		{"a last key of the key", `{"LastEvaluatedKey": {"pk": {"S": "a"}}}`, "", nil,
			corpusExpectation{LastEvaluatedKeyNames: []string{"pk"}}, false},
		{"success where an error is due", `{}`, "", nil, corpusExpectation{Error: "ValidationException"}, true},
		{"another error", `{"message": "x"}`, "ResourceNotFoundException", refused, corpusExpectation{Error: "ValidationException"}, true},
		{"the error", `{"message": "x"}`, "ValidationException", refused, corpusExpectation{Error: "ValidationException"}, false},
		{"a refusal in other words", `{"message": "no"}`, "ValidationException", refused,
			corpusExpectation{Error: "ValidationException", MessageContains: corpusUnsupportedMessage}, true},
		{"an error where success is due", `{"message": "x"}`, "ValidationException", refused, corpusExpectation{}, true},
		{"the old item missing from the error", `{"message": "x"}`, "ConditionalCheckFailedException", refused,
			corpusExpectation{Error: "ConditionalCheckFailedException", ErrorItem: map[string]any{"k": map[string]any{"S": "a"}}}, true},
	} {
		fails := corpusCheck([]byte(tc.body), tc.code, tc.err, tc.exp, "t")
		if (len(fails) > 0) != tc.fails {
			t.Errorf("%s: failures %q, want some: %v", tc.name, fails, tc.fails)
		}
	}
}
