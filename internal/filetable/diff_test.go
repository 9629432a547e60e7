package filetable

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
)

// Shorthands for attribute values.
func avS(v string) types.AttributeValue     { return &types.AttributeValueMemberS{Value: v} }
func avN(v string) types.AttributeValue     { return &types.AttributeValueMemberN{Value: v} }
func avB(v []byte) types.AttributeValue     { return &types.AttributeValueMemberB{Value: v} }
func avSS(v ...string) types.AttributeValue { return &types.AttributeValueMemberSS{Value: v} }
func avNS(v ...string) types.AttributeValue { return &types.AttributeValueMemberNS{Value: v} }
func avM(v avMap) types.AttributeValue      { return &types.AttributeValueMemberM{Value: v} }
func avL(v ...types.AttributeValue) types.AttributeValue {
	return &types.AttributeValueMemberL{Value: v}
}

type avMap = map[string]types.AttributeValue

// diffCase is one request (or a few) sent to every stand-in, with the
// outcome DynamoDB's API Reference and Developer Guide give for it.
type diffCase struct {
	name      string
	rangeType types.ScalarAttributeType // the table's range key "sk", if any
	setup     []avMap                   // put first
	run       func(ctx context.Context, db *dynamodb.Client, table string) (string, error)
	code      string // the error code DynamoDB answers with, "" for success
	want      string // what run returns on success
	// dynalite, when set, is where dynalite departs from the docs, in the
	// docs' words: dynalite's outcome is then asserted to differ (so that
	// a note about a dynalite fixed since fails).
	dynalite string
}

// put is a PutItem of the item; it returns the old item when ReturnValues
// asks for it.
func putReq(it avMap, opts ...func(*dynamodb.PutItemInput)) func(context.Context, *dynamodb.Client, string) (string, error) {
	return func(ctx context.Context, db *dynamodb.Client, table string) (string, error) {
		in := &dynamodb.PutItemInput{TableName: aws.String(table), Item: it}
		for _, o := range opts {
			o(in)
		}
		out, err := db.PutItem(ctx, in)
		if err != nil {
			return "", err
		}
		if out.Attributes != nil {
			return "old " + fmtItem(out.Attributes), nil
		}
		return "", nil
	}
}

// putGet puts the item and reads back the item under key.
func putGetReq(it avMap, key avMap) func(context.Context, *dynamodb.Client, string) (string, error) {
	return func(ctx context.Context, db *dynamodb.Client, table string) (string, error) {
		if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: it}); err != nil {
			return "", err
		}
		return getReq(key)(ctx, db, table)
	}
}

func getReq(key avMap, opts ...func(*dynamodb.GetItemInput)) func(context.Context, *dynamodb.Client, string) (string, error) {
	return func(ctx context.Context, db *dynamodb.Client, table string) (string, error) {
		in := &dynamodb.GetItemInput{TableName: aws.String(table), Key: key, ConsistentRead: aws.Bool(true)}
		for _, o := range opts {
			o(in)
		}
		out, err := db.GetItem(ctx, in)
		if err != nil {
			return "", err
		}
		return fmtItem(out.Item), nil
	}
}

func withCondition(expr string, names map[string]string) func(*dynamodb.PutItemInput) {
	return func(in *dynamodb.PutItemInput) {
		in.ConditionExpression = aws.String(expr)
		in.ExpressionAttributeNames = names
	}
}

func pkKey(pk string) avMap { return avMap{"pk": avS(pk)} }

func TestDifferential(t *testing.T) {
	ctx := context.Background()
	for _, srv := range standIns(t) {
		t.Run(srv.name, func(t *testing.T) {
			for _, c := range diffCases() {
				t.Run(c.name, func(t *testing.T) {
					table := createTestTable(t, srv.db, c.rangeType)
					for _, it := range c.setup {
						if _, err := srv.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: it}); err != nil {
							t.Fatalf("setup: %v", err)
						}
					}
					got, err := c.run(ctx, srv.db, table)
					matches := errCode(err) == c.code && (err != nil || got == c.want)
					switch {
					case srv.name == "dynalite" && c.dynalite != "":
						if matches {
							t.Errorf("dynalite now answers as the docs say (%q): drop the note", c.dynalite)
						}
						t.Logf("dynalite departs from the docs (%s): got %q, error %v", c.dynalite, got, err)
					case !matches:
						t.Errorf("got %q, error %v (%s); want %q, error code %q", got, err, errCode(err), c.want, c.code)
					}
				})
			}
		})
	}
}

// The messages are DynamoDB's too, as dynalite (which copies them from
// DynamoDB) has them, but where noted.
func TestSameMessages(t *testing.T) {
	ctx := context.Background()
	emptyName := "dynalite takes the empty name for an undefined one; DynamoDB's message says the value is empty"
	ours := map[string]string{"create an existing table": "dynalite's message is empty; DynamoDB's names the table",
		"a condition on a placeholder for the empty name": emptyName, "a projection of a placeholder for the empty name": emptyName}
	msgs := map[string][]string{}
	for _, srv := range standIns(t) {
		for _, c := range diffCases() {
			table := createTestTable(t, srv.db, c.rangeType)
			for _, it := range c.setup {
				if _, err := srv.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: it}); err != nil {
					t.Fatal(err)
				}
			}
			_, err := c.run(ctx, srv.db, table)
			var ae smithy.APIError
			m := ""
			if errors.As(err, &ae) {
				m = ae.ErrorMessage()
			}
			msgs[c.name] = append(msgs[c.name], m)
		}
	}
	for _, c := range diffCases() {
		m := msgs[c.name]
		if m[0] != m[1] && c.dynalite == "" && ours[c.name] == "" {
			t.Errorf("%s: message %q; dynalite's %q", c.name, m[0], m[1])
		}
	}
}

func diffCases() []diffCase {
	const validation = "ValidationException"
	big := strings.Repeat
	return []diffCase{
		// Data types (Developer Guide, "Supported data types and naming
		// rules"): every type stored and read back as sent, numbers in the
		// canonical form DynamoDB returns.
		{name: "every data type round trip", run: putGetReq(avMap{
			"pk": avS("a"), "s": avS("héllo"), "n": avN("42"), "b": avB([]byte{0, 1, 255}), "t": &types.AttributeValueMemberBOOL{Value: true},
			"z": &types.AttributeValueMemberNULL{Value: true}, "ss": avSS("x", "y"), "ns": avNS("1", "2.5"),
			"bs": &types.AttributeValueMemberBS{Value: [][]byte{{1}, {2}}},
			"l":  &types.AttributeValueMemberL{Value: []types.AttributeValue{avS("x"), avN("1"), &types.AttributeValueMemberL{}}},
			"m":  &types.AttributeValueMemberM{Value: avMap{"in": avS("y"), "empty": &types.AttributeValueMemberM{Value: avMap{}}}},
			"e":  avS(""),
		}, pkKey("a")),
			want: `{"b"=B:0001ff "bs"=BS:[01,02] "e"=S:"" "l"=L:[S:"x",N:1,L:[]] "m"=M:{"empty"=M:{} "in"=S:"y"} "n"=N:42 "ns"=NS:[1,2.5] "pk"=S:"a" "s"=S:"héllo" "ss"=SS:["x","y"] "t"=BOOL:true "z"=NULL:true}`},
		{name: "numbers come back without leading or trailing zeros or exponent", run: putGetReq(avMap{
			"pk": avS("a"), "a": avN("001.500"), "b": avN("1e2"), "c": avN("-0"), "d": avN("-.25"), "e": avN("1.23E-3"), "f": avNS("10", "1.0"),
		}, pkKey("a")), want: `{"a"=N:1.5 "b"=N:100 "c"=N:0 "d"=N:-0.25 "e"=N:0.00123 "f"=NS:[1,10] "pk"=S:"a"}`},
		{name: "number syntax", run: putGetReq(avMap{
			"pk": avS("a"), "a": avN(".5"), "b": avN("5."), "c": avN("1e+2"), "d": avN("1E-0"), "e": avN("-0.0e5"), "f": avN("00"),
		}, pkKey("a")), want: `{"a"=N:0.5 "b"=N:5 "c"=N:100 "d"=N:1 "e"=N:0 "f"=N:0 "pk"=S:"a"}`},
		{name: "a number with a plus sign", run: putReq(avMap{"pk": avS("a"), "n": avN("+1")}), code: validation},
		{name: "a number with a space", run: putReq(avMap{"pk": avS("a"), "n": avN(" 1")}), code: validation},
		{name: "a hexadecimal number", run: putReq(avMap{"pk": avS("a"), "n": avN("0x10")}), code: validation},
		// Numbers: "Numbers can have up to 38 digits of precision ...
		// Positive range: 1E-130 to 9.9999999999999999999999999999999999999E+125".
		{name: "38 significant digits", run: putReq(avMap{"pk": avS("a"), "n": avN(big("9", 38))})},
		{name: "39 significant digits", run: putReq(avMap{"pk": avS("a"), "n": avN(big("9", 39))}), code: validation},
		{name: "largest number", run: putReq(avMap{"pk": avS("a"), "n": avN("9.9999999999999999999999999999999999999E+125")})},
		{name: "number overflow", run: putReq(avMap{"pk": avS("a"), "n": avN("1E+126")}), code: validation},
		{name: "smallest number", run: putReq(avMap{"pk": avS("a"), "n": avN("-1E-130")})},
		{name: "number underflow", run: putReq(avMap{"pk": avS("a"), "n": avN("1E-131")}), code: validation},
		{name: "not a number", run: putReq(avMap{"pk": avS("a"), "n": avN("1,5")}), code: validation},
		{name: "empty number", run: putReq(avMap{"pk": avS("a"), "n": avN("")}), code: validation},
		{name: "number in a set checked", run: putReq(avMap{"pk": avS("a"), "n": avNS("1", "x")}), code: validation},
		// Sets: "Each value within a set must be unique ... empty sets are
		// not supported".
		{name: "empty string set", run: putReq(avMap{"pk": avS("a"), "x": avSS()}), code: validation},
		{name: "empty number set", run: putReq(avMap{"pk": avS("a"), "x": avNS()}), code: validation},
		{name: "empty binary set", run: putReq(avMap{"pk": avS("a"), "x": &types.AttributeValueMemberBS{Value: [][]byte{}}}), code: validation},
		{name: "string set with a duplicate", run: putReq(avMap{"pk": avS("a"), "x": avSS("a", "b", "a")}), code: validation},
		{name: "number set with the same number written twice", run: putReq(avMap{"pk": avS("a"), "x": avNS("1", "1.0")}), code: validation},
		{name: "binary set with a duplicate", run: putReq(avMap{"pk": avS("a"), "x": &types.AttributeValueMemberBS{Value: [][]byte{{1}, {1}}}}), code: validation},
		{name: "NULL false", run: putReq(avMap{"pk": avS("a"), "x": &types.AttributeValueMemberNULL{Value: false}}), code: validation},
		{name: "invalid value in a nested map", run: putReq(avMap{"pk": avS("a"), "m": &types.AttributeValueMemberM{Value: avMap{"x": avSS()}}}), code: validation},

		// Keys (API Reference, PutItem: "you must provide all of the
		// attributes for the primary key"; Developer Guide, "Partition key
		// ... 2048 bytes", "Sort key ... 1024 bytes").
		{name: "missing hash key", run: putReq(avMap{"x": avS("a")}), code: validation},
		{name: "missing range key", rangeType: types.ScalarAttributeTypeN, run: putReq(avMap{"pk": avS("a")}), code: validation},
		{name: "hash key of the wrong type", run: putReq(avMap{"pk": avN("1")}), code: validation},
		{name: "range key of the wrong type", rangeType: types.ScalarAttributeTypeB, run: putReq(avMap{"pk": avS("a"), "sk": avS("x")}), code: validation},
		{name: "empty string hash key", run: putReq(avMap{"pk": avS("")}), code: validation},
		{name: "empty binary range key", rangeType: types.ScalarAttributeTypeB, run: putReq(avMap{"pk": avS("a"), "sk": avB([]byte{})}), code: validation},
		{name: "hash key of 2048 bytes", run: putReq(avMap{"pk": avS(big("é", 1024))})},
		{name: "hash key of 2049 bytes", run: putReq(avMap{"pk": avS(big("x", 2049))}), code: validation},
		{name: "range key of 1024 bytes", rangeType: types.ScalarAttributeTypeS, run: putReq(avMap{"pk": avS("a"), "sk": avS(big("x", 1024))})},
		{name: "range key of 1025 bytes", rangeType: types.ScalarAttributeTypeB, run: putReq(avMap{"pk": avS("a"), "sk": avB(make([]byte, 1025))}), code: validation},
		{name: "range key distinguishes items", rangeType: types.ScalarAttributeTypeN,
			setup: []avMap{{"pk": avS("a"), "sk": avN("1"), "v": avS("one")}, {"pk": avS("a"), "sk": avN("2"), "v": avS("two")}},
			run:   getReq(avMap{"pk": avS("a"), "sk": avN("2.0")}), want: `{"pk"=S:"a" "sk"=N:2 "v"=S:"two"}`},

		// Item size (Developer Guide, "DynamoDB item sizes and formats":
		// "The size of a string is (number of UTF-8-encoded bytes of
		// attribute name) + (number of UTF-8-encoded bytes)"; the maximum
		// is 400 KB).
		{name: "item of exactly 400 KB", run: putReq(avMap{"pk": avS("a"), "x": avS(big("x", 400*1024-4))})},
		{name: "item of 400 KB and a byte", run: putReq(avMap{"pk": avS("a"), "x": avS(big("x", 400*1024-3))}), code: validation},
		{name: "item over 400 KB in UTF-8, under in UTF-16", run: putReq(avMap{"pk": avS("a"), "x": avS(big("é", 210000))}), code: validation,
			dynalite: "The size of a string is (number of UTF-8-encoded bytes of attribute name) + (number of UTF-8-encoded bytes): dynalite counts UTF-16 code units"},
		{name: "binary counted by its raw bytes", run: putReq(avMap{"pk": avS("a"), "x": avB(make([]byte, 400*1024-4))})},

		// Attribute names (Developer Guide, "Supported data types and
		// naming rules"): "at least one character long and less than 64 KB".
		{name: "an empty attribute name", run: putReq(avMap{"pk": avS("a"), "": avS("x")}), code: validation,
			dynalite: "Attribute names must be at least one character long: dynalite takes an empty one"},
		{name: "an attribute name of 64 KB", run: putReq(avMap{"pk": avS("a"), strings.Repeat("n", 64<<10): avS("x")}), code: validation,
			dynalite: "Attribute names must be ... less than 64 KB in size: dynalite takes one of 64 KB"},
		{name: "an attribute name of 64 KB less a byte", run: putReq(avMap{"pk": avS("a"), strings.Repeat("n", 64<<10-1): avS("x")})},
		// DynamoDB refuses the empty name wherever a request carries one: a
		// map's key at any depth too, and an ExpressionAttributeNames value
		// ("ExpressionAttributeNames contains invalid value: Empty attribute
		// name for key #n").
		{name: "an empty attribute name in a map", run: putReq(avMap{"pk": avS("a"), "m": avM(avMap{"": avS("x")})}), code: validation,
			dynalite: "Attribute names must be at least one character long: dynalite takes an empty one in a map"},
		{name: "an empty attribute name in a map in a list", run: putReq(avMap{"pk": avS("a"), "l": avL(avM(avMap{"k": avM(avMap{"": avS("x")})}))}), code: validation,
			dynalite: "Attribute names must be at least one character long: dynalite takes an empty one in a map"},
		{name: "a condition on a placeholder for the empty name", run: putReq(avMap{"pk": avS("a")}, withCondition("attribute_not_exists(#e)", map[string]string{"#e": ""})), code: validation},
		{name: "a projection of a placeholder for the empty name", run: getReq(pkKey("a"), func(in *dynamodb.GetItemInput) {
			in.ProjectionExpression = aws.String("#e")
			in.ExpressionAttributeNames = map[string]string{"#e": ""}
		}), code: validation},

		// Scan (API Reference): "ExclusiveStartKey: The primary key of the
		// first item that this operation will evaluate", an item's or not.
		{name: "a start key that is no item", setup: []avMap{pkKey("i000"), pkKey("i001"), pkKey("i002")},
			run: func(ctx context.Context, db *dynamodb.Client, table string) (string, error) {
				out, err := db.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String(table), ExclusiveStartKey: pkKey("not-an-item"), Limit: aws.Int32(100)})
				if err != nil {
					return "", err
				}
				return fmt.Sprintf("at most 3: %t, last key %s", out.Count <= 3, fmtItem(out.LastEvaluatedKey)), nil
			}, want: "at most 3: true, last key <none>"},

		// Overwrites and conditions (API Reference, PutItem;
		// Developer Guide, "Condition expressions").
		{name: "put replaces the item whole", setup: []avMap{{"pk": avS("a"), "old": avS("x")}},
			run: putGetReq(avMap{"pk": avS("a"), "new": avS("y")}, pkKey("a")), want: `{"new"=S:"y" "pk"=S:"a"}`},
		{name: "ReturnValues ALL_OLD", setup: []avMap{{"pk": avS("a"), "v": avN("1")}},
			run:  putReq(avMap{"pk": avS("a"), "v": avN("2")}, func(in *dynamodb.PutItemInput) { in.ReturnValues = types.ReturnValueAllOld }),
			want: `old {"pk"=S:"a" "v"=N:1}`},
		{name: "ReturnValues ALL_OLD of a new item", run: putReq(avMap{"pk": avS("a")}, func(in *dynamodb.PutItemInput) { in.ReturnValues = types.ReturnValueAllOld })},
		{name: "ReturnValues ALL_NEW refused by PutItem", run: putReq(avMap{"pk": avS("a")}, func(in *dynamodb.PutItemInput) { in.ReturnValues = types.ReturnValueAllNew }), code: validation},
		{name: "attribute_not_exists on a new key", run: putReq(avMap{"pk": avS("a")}, withCondition("attribute_not_exists(pk)", nil))},
		{name: "attribute_not_exists on an existing key", setup: []avMap{{"pk": avS("a")}},
			run: putReq(avMap{"pk": avS("a"), "v": avS("new")}, withCondition("attribute_not_exists(pk)", nil)), code: "ConditionalCheckFailedException"},
		{name: "a failed condition writes nothing", setup: []avMap{{"pk": avS("a"), "v": avS("old")}},
			run: func(ctx context.Context, db *dynamodb.Client, table string) (string, error) {
				_, err := putReq(avMap{"pk": avS("a"), "v": avS("new")}, withCondition("attribute_not_exists(#k)", map[string]string{"#k": "pk"}))(ctx, db, table)
				if errCode(err) != "ConditionalCheckFailedException" {
					return "", err
				}
				return getReq(pkKey("a"))(ctx, db, table)
			}, want: `{"pk"=S:"a" "v"=S:"old"}`},
		{name: "attribute_exists on a missing item", run: putReq(avMap{"pk": avS("a")}, withCondition("attribute_exists(pk)", nil)), code: "ConditionalCheckFailedException"},
		{name: "attribute_exists of a non-key attribute", setup: []avMap{{"pk": avS("a"), "v": avS("x")}},
			run: putReq(avMap{"pk": avS("a")}, withCondition("attribute_exists(v)", nil))},
		{name: "attribute_not_exists of a non-key attribute present", setup: []avMap{{"pk": avS("a"), "v": avS("x")}},
			run: putReq(avMap{"pk": avS("a")}, withCondition("attribute_not_exists(#v)", map[string]string{"#v": "v"})), code: "ConditionalCheckFailedException"},
		{name: "ReturnValuesOnConditionCheckFailure ALL_OLD", setup: []avMap{{"pk": avS("a"), "v": avS("old")}},
			run: func(ctx context.Context, db *dynamodb.Client, table string) (string, error) {
				_, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: pkKey("a"),
					ConditionExpression:                 aws.String("attribute_not_exists(pk)"),
					ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld})
				var ccf *types.ConditionalCheckFailedException
				if !errors.As(err, &ccf) {
					return "", err
				}
				return "item " + fmtItem(ccf.Item), nil
			}, want: `item {"pk"=S:"a" "v"=S:"old"}`,
			dynalite: "ReturnValuesOnConditionCheckFailure: ALL_OLD returns the item's attributes as they appeared before the failed write"},
		{name: "undefined placeholder", run: putReq(pkKey("a"), withCondition("attribute_not_exists(#k)", nil)), code: validation},
		{name: "unused ExpressionAttributeNames", run: putReq(pkKey("a"), withCondition("attribute_not_exists(pk)", map[string]string{"#u": "x"})), code: validation},
		{name: "ExpressionAttributeNames without an expression", run: putReq(pkKey("a"), func(in *dynamodb.PutItemInput) {
			in.ExpressionAttributeNames = map[string]string{"#u": "x"}
		}), code: validation},
		{name: "unused ExpressionAttributeValues", run: putReq(pkKey("a"), func(in *dynamodb.PutItemInput) {
			in.ConditionExpression = aws.String("attribute_not_exists(pk)")
			in.ExpressionAttributeValues = map[string]types.AttributeValue{":v": avS("x")}
		}), code: validation},
		{name: "empty ConditionExpression", run: putReq(pkKey("a"), withCondition("", nil)), code: validation},

		// GetItem (API Reference: "you must provide all of the attributes
		// for the primary key", and only those).
		{name: "get of a missing item", run: getReq(pkKey("nobody")), want: "<none>"},
		{name: "get with a key attribute too many", setup: []avMap{{"pk": avS("a")}}, run: getReq(avMap{"pk": avS("a"), "x": avS("y")}), code: validation},
		{name: "get without the range key", rangeType: types.ScalarAttributeTypeS, run: getReq(pkKey("a")), code: validation},
		{name: "get with a key of the wrong type", run: getReq(avMap{"pk": avN("1")}), code: validation},
		{name: "get with an empty key", run: getReq(pkKey("")), code: validation},
		{name: "projection", setup: []avMap{{"pk": avS("a"), "x": avS("1"), "y": avS("2"), "z": avS("3")}},
			run: getReq(pkKey("a"), func(in *dynamodb.GetItemInput) {
				in.ProjectionExpression = aws.String("x, #z, absent")
				in.ExpressionAttributeNames = map[string]string{"#z": "z"}
			}), want: `{"x"=S:"1" "z"=S:"3"}`},
		{name: "projection with an unused name", run: getReq(pkKey("a"), func(in *dynamodb.GetItemInput) {
			in.ProjectionExpression = aws.String("x")
			in.ExpressionAttributeNames = map[string]string{"#z": "z"}
		}), code: validation},
		{name: "projection naming an attribute twice", run: getReq(pkKey("a"), func(in *dynamodb.GetItemInput) {
			in.ProjectionExpression = aws.String("x, #x")
			in.ExpressionAttributeNames = map[string]string{"#x": "x"}
		}), code: validation},
		{name: "projection of a reserved word", run: getReq(pkKey("a"), func(in *dynamodb.GetItemInput) { in.ProjectionExpression = aws.String("status") }), code: validation},
		{name: "a reserved word behind a placeholder", setup: []avMap{{"pk": avS("a"), "status": avS("ok")}}, run: getReq(pkKey("a"), func(in *dynamodb.GetItemInput) {
			in.ProjectionExpression = aws.String("#s")
			in.ExpressionAttributeNames = map[string]string{"#s": "status"}
		}), want: `{"status"=S:"ok"}`},

		// Tables (API Reference: ResourceNotFoundException, ResourceInUseException).
		{name: "put to a missing table", run: func(ctx context.Context, db *dynamodb.Client, _ string) (string, error) {
			return putReq(pkKey("a"))(ctx, db, "no-such-table")
		}, code: "ResourceNotFoundException"},
		{name: "get from a missing table", run: func(ctx context.Context, db *dynamodb.Client, _ string) (string, error) {
			return getReq(pkKey("a"))(ctx, db, "no-such-table")
		}, code: "ResourceNotFoundException"},
		{name: "scan of a missing table", run: func(ctx context.Context, db *dynamodb.Client, _ string) (string, error) {
			_, err := db.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String("no-such-table")})
			return "", err
		}, code: "ResourceNotFoundException"},
		{name: "describe a missing table", run: func(ctx context.Context, db *dynamodb.Client, _ string) (string, error) {
			_, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("no-such-table")})
			return "", err
		}, code: "ResourceNotFoundException"},
		{name: "create an existing table", run: func(ctx context.Context, db *dynamodb.Client, table string) (string, error) {
			_, err := db.CreateTable(ctx, &dynamodb.CreateTableInput{TableName: aws.String(table),
				AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS}},
				KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}},
				BillingMode:          types.BillingModePayPerRequest})
			return "", err
		}, code: "ResourceInUseException"},
		{name: "create a table with a key not defined", run: func(ctx context.Context, db *dynamodb.Client, table string) (string, error) {
			_, err := db.CreateTable(ctx, &dynamodb.CreateTableInput{TableName: aws.String(table + "-x"),
				AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("other"), AttributeType: types.ScalarAttributeTypeS}},
				KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}},
				BillingMode:          types.BillingModePayPerRequest})
			return "", err
		}, code: validation},
		{name: "create a provisioned table without throughput", run: func(ctx context.Context, db *dynamodb.Client, table string) (string, error) {
			_, err := db.CreateTable(ctx, &dynamodb.CreateTableInput{TableName: aws.String(table + "-x"),
				AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS}},
				KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}}})
			return "", err
		}, code: validation},
		{name: "create a table whose first key is a range key", run: func(ctx context.Context, db *dynamodb.Client, table string) (string, error) {
			_, err := db.CreateTable(ctx, &dynamodb.CreateTableInput{TableName: aws.String(table + "-x"),
				AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS}},
				KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeRange}},
				BillingMode:          types.BillingModePayPerRequest})
			return "", err
		}, code: validation},
		{name: "a table name of two characters", run: func(ctx context.Context, db *dynamodb.Client, _ string) (string, error) {
			return getReq(pkKey("a"))(ctx, db, "ab")
		}, code: validation},
		{name: "describe, list and delete", setup: []avMap{pkKey("a"), pkKey("b")}, run: func(ctx context.Context, db *dynamodb.Client, table string) (string, error) {
			d, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)})
			if err != nil {
				return "", err
			}
			list, err := db.ListTables(ctx, &dynamodb.ListTablesInput{})
			if err != nil {
				return "", err
			}
			if _, err := db.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(table)}); err != nil {
				return "", err
			}
			if err := dynamodb.NewTableNotExistsWaiter(db).Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)}, 10*time.Second,
				func(o *dynamodb.TableNotExistsWaiterOptions) { o.MinDelay = 10 * time.Millisecond }); err != nil {
				return "", err
			}
			_, err = db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: pkKey("a")})
			return strings.Join([]string{string(d.Table.TableStatus), *d.Table.KeySchema[0].AttributeName,
				string(d.Table.AttributeDefinitions[0].AttributeType), string(d.Table.BillingModeSummary.BillingMode),
				strconv.FormatBool(slices.Contains(list.TableNames, table)), errCode(err)}, " "), nil
		}, want: "ACTIVE pk S PAY_PER_REQUEST true ResourceNotFoundException"},
	}
}
