package filetable

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// DynamoDB's limits (the Developer Guide's "Quotas": items, keys, Scan).
const (
	maxItemSize      = 400 << 10
	maxNameSize      = 64<<10 - 1 // "less than 64 KB"
	maxHashKeySize   = 2048
	maxRangeKeySize  = 1024
	maxScanPage      = 1 << 20
	maxListTables    = 100
	tableNamePattern = "[a-zA-Z0-9_.-]+"
)

type rawValue = json.RawMessage

// get decodes a request member; a member of the wrong JSON type is a
// SerializationException, as DynamoDB's deserializer answers it.
func get[T any](members map[string]json.RawMessage, name string, v *T) (bool, error) {
	r, ok := members[name]
	if !ok {
		return false, nil
	}
	if err := json.Unmarshal(r, v); err != nil {
		return true, &errSerialization{fmt.Sprintf("%s: %v", name, err)}
	}
	return true, nil
}

func constraint(value, member, rule string) error {
	return validationf("1 validation error detected: Value %s at '%s' failed to satisfy constraint: Member must %s", value, member, rule)
}

func tableName(members map[string]json.RawMessage) (string, error) {
	var name string
	ok, err := get(members, "TableName", &name)
	if err != nil {
		return "", err
	}
	switch {
	case !ok:
		return "", constraint("null", "tableName", "not be null")
	case strings.HasPrefix(name, "arn:"):
		return "", unsupportedf("a table ARN as TableName (%s): only table names", name)
	case len(name) < 3:
		return "", constraint("'"+name+"'", "tableName", "have length greater than or equal to 3")
	case len(name) > 255:
		return "", constraint("'"+name+"'", "tableName", "have length less than or equal to 255")
	case strings.Trim(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") != "":
		return "", constraint("'"+name+"'", "tableName", "satisfy regular expression pattern: "+tableNamePattern)
	}
	return name, nil
}

func oneOf(value, member string, allowed ...string) error {
	for _, a := range allowed {
		if value == a {
			return nil
		}
	}
	return constraint("'"+value+"'", member, "satisfy enum value set: ["+strings.Join(allowed, ", ")+"]")
}

func (s *Server) createTable(_ context.Context, m map[string]json.RawMessage) ([]byte, error) {
	var in struct {
		AttributeDefinitions  []attributeDefinition
		KeySchema             []keySchemaElement
		BillingMode           *string
		ProvisionedThroughput *struct{ ReadCapacityUnits, WriteCapacityUnits *int64 }
	}
	name, err := tableName(m)
	if err != nil {
		return nil, err
	}
	b, _ := json.Marshal(m)
	if err := json.Unmarshal(b, &in); err != nil {
		return nil, &errSerialization{err.Error()}
	}
	if in.AttributeDefinitions == nil {
		return nil, constraint("null", "attributeDefinitions", "not be null")
	}
	if in.KeySchema == nil {
		return nil, constraint("null", "keySchema", "not be null")
	}
	if len(in.KeySchema) < 1 || len(in.KeySchema) > 2 {
		return nil, constraint(fmt.Sprint(len(in.KeySchema)), "keySchema", "have length less than or equal to 2 and greater than or equal to 1")
	}
	for i, k := range in.KeySchema {
		if err := oneOf(k.KeyType, fmt.Sprintf("keySchema.%d.member.keyType", i+1), "HASH", "RANGE"); err != nil {
			return nil, err
		}
		if k.AttributeName == "" {
			return nil, constraint("''", fmt.Sprintf("keySchema.%d.member.attributeName", i+1), "have length greater than or equal to 1")
		}
	}
	for i, a := range in.AttributeDefinitions {
		if err := oneOf(a.AttributeType, fmt.Sprintf("attributeDefinitions.%d.member.attributeType", i+1), "B", "N", "S"); err != nil {
			return nil, err
		}
	}
	if in.KeySchema[0].KeyType != "HASH" {
		return nil, validationf("Invalid KeySchema: The first KeySchemaElement is not a HASH key type")
	}
	if len(in.KeySchema) == 2 {
		if in.KeySchema[1].KeyType != "RANGE" {
			return nil, validationf("Invalid KeySchema: The second KeySchemaElement is not a RANGE key type")
		}
		if in.KeySchema[0].AttributeName == in.KeySchema[1].AttributeName {
			return nil, validationf("Both the Hash Key and the Range Key element in the KeySchema have the same name")
		}
	}
	defined := map[string]bool{}
	for _, a := range in.AttributeDefinitions {
		if defined[a.AttributeName] {
			return nil, validationf("Cannot have two attributes with the same name")
		}
		defined[a.AttributeName] = true
	}
	for _, k := range in.KeySchema {
		if !defined[k.AttributeName] {
			return nil, validationf("One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: [%s], AttributeDefinitions: [%s]",
				keyNames(in.KeySchema), defNames(in.AttributeDefinitions))
		}
	}
	if len(in.AttributeDefinitions) != len(in.KeySchema) {
		return nil, validationf("One or more parameter values were invalid: Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions")
	}
	d := tableDesc{TableName: name, KeySchema: in.KeySchema, AttributeDefinitions: in.AttributeDefinitions, BillingMode: "PROVISIONED"}
	if in.BillingMode != nil {
		if err := oneOf(*in.BillingMode, "billingMode", "PROVISIONED", "PAY_PER_REQUEST"); err != nil {
			return nil, err
		}
		d.BillingMode = *in.BillingMode
	}
	pt := in.ProvisionedThroughput
	switch {
	case d.BillingMode == "PAY_PER_REQUEST" && pt != nil:
		return nil, validationf("One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST")
	case d.BillingMode == "PROVISIONED" && (pt == nil || pt.ReadCapacityUnits == nil || pt.WriteCapacityUnits == nil):
		return nil, validationf("One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED")
	case pt != nil && *pt.ReadCapacityUnits < 1:
		return nil, constraint(fmt.Sprint(*pt.ReadCapacityUnits), "provisionedThroughput.readCapacityUnits", "have value greater than or equal to 1")
	case pt != nil && *pt.WriteCapacityUnits < 1:
		return nil, constraint(fmt.Sprint(*pt.WriteCapacityUnits), "provisionedThroughput.writeCapacityUnits", "have value greater than or equal to 1")
	case pt != nil:
		d.ReadCapacityUnits, d.WriteCapacityUnits = *pt.ReadCapacityUnits, *pt.WriteCapacityUnits
	}
	d.CreationDateTime = float64(time.Now().UnixMilli()) / 1000
	d.TableID = newTableID()

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tables[name] != nil {
		return nil, &apiError{http.StatusBadRequest, "com.amazonaws.dynamodb.v20120810#ResourceInUseException", "Table already exists: " + name, nil}
	}
	t, err := createTable(filepath.Join(s.dir, fmt.Sprintf("t%d.tbl", s.next)), d)
	if err != nil {
		return nil, err
	}
	s.next++
	s.tables[name] = t
	// DynamoDB answers CREATING and the client waits for ACTIVE; the
	// table is usable at once, so DescribeTable says ACTIVE from now on.
	return json.Marshal(map[string]any{"TableDescription": t.describe("CREATING")})
}

func keyNames(ks []keySchemaElement) string {
	var n []string
	for _, k := range ks {
		n = append(n, k.AttributeName)
	}
	return strings.Join(n, ", ")
}

func defNames(ds []attributeDefinition) string {
	var n []string
	for _, d := range ds {
		n = append(n, d.AttributeName)
	}
	return strings.Join(n, ", ")
}

func newTableID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// describe is the table's TableDescription; the caller holds t.mu or
// s.mu. ItemCount is exact (DynamoDB's is updated every six hours), and
// TableSizeBytes is what the items' JSON takes, an estimate as DynamoDB's
// is.
func (t *table) describe(status string) map[string]any {
	d := t.desc
	var size int64
	for _, l := range t.slots {
		size += int64(l.n)
	}
	desc := map[string]any{
		"TableName":            d.TableName,
		"TableStatus":          status,
		"KeySchema":            d.KeySchema,
		"AttributeDefinitions": d.AttributeDefinitions,
		"CreationDateTime":     d.CreationDateTime,
		"ItemCount":            len(t.slots),
		"TableSizeBytes":       size,
		"TableArn":             "arn:aws:dynamodb:us-east-1:000000000000:table/" + d.TableName,
		"TableId":              d.TableID,
		"ProvisionedThroughput": map[string]any{
			"NumberOfDecreasesToday": 0,
			"ReadCapacityUnits":      d.ReadCapacityUnits,
			"WriteCapacityUnits":     d.WriteCapacityUnits,
		},
	}
	if d.BillingMode == "PAY_PER_REQUEST" {
		desc["BillingModeSummary"] = map[string]any{"BillingMode": d.BillingMode, "LastUpdateToPayPerRequestDateTime": d.CreationDateTime}
	}
	return desc
}

func (s *Server) describeTable(_ context.Context, m map[string]json.RawMessage) ([]byte, error) {
	name, err := tableName(m)
	if err != nil {
		return nil, err
	}
	t, err := s.table(name)
	if err != nil {
		return nil, notFound("Requested resource not found: Table: " + name + " not found")
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	if t.deleted {
		return nil, notFound("Requested resource not found: Table: " + name + " not found")
	}
	return json.Marshal(map[string]any{"Table": t.describe("ACTIVE")})
}

func (s *Server) deleteTable(_ context.Context, m map[string]json.RawMessage) ([]byte, error) {
	name, err := tableName(m)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	t := s.tables[name]
	delete(s.tables, name)
	s.mu.Unlock()
	if t == nil {
		return nil, notFound("Requested resource not found: Table: " + name + " not found")
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.deleted = true
	desc := t.describe("DELETING")
	cerr := t.f.Close()
	if err := os.Remove(t.path); err != nil {
		return nil, fmt.Errorf("delete table %s: %w", name, err)
	}
	if cerr != nil {
		return nil, fmt.Errorf("delete table %s: %w", name, cerr)
	}
	return json.Marshal(map[string]any{"TableDescription": desc})
}

func (s *Server) listTables(_ context.Context, m map[string]json.RawMessage) ([]byte, error) {
	var start string
	limit := maxListTables
	if _, err := get(m, "ExclusiveStartTableName", &start); err != nil {
		return nil, err
	}
	if ok, err := get(m, "Limit", &limit); err != nil {
		return nil, err
	} else if ok && limit < 1 {
		return nil, constraint(fmt.Sprint(limit), "limit", "have value greater than or equal to 1")
	} else if ok && limit > maxListTables {
		return nil, constraint(fmt.Sprint(limit), "limit", "have value less than or equal to 100")
	}
	s.mu.Lock()
	all := sortedTableNames(s.tables)
	s.mu.Unlock()
	out := map[string]any{}
	names := []string{}
	for i, n := range all {
		if n <= start {
			continue
		}
		names = append(names, n)
		if len(names) == limit {
			if i < len(all)-1 {
				out["LastEvaluatedTableName"] = n
			}
			break
		}
	}
	out["TableNames"] = names
	return json.Marshal(out)
}

// keyOf is the item's key as the index holds it, after checking the key
// attributes as DynamoDB does. forItem says the attributes are a whole
// item's (PutItem), not a Key's.
func (t *table) keyOf(it item, forItem bool, where string) (string, error) {
	d := &t.desc
	if !forItem && len(it) != len(d.KeySchema) {
		return "", validationf("%sThe provided key element does not match the schema", where)
	}
	var key []byte
	for i, k := range d.KeySchema {
		typ := t.attrType(k.AttributeName)
		v, ok := it[k.AttributeName]
		switch {
		case !ok && forItem:
			return "", validationf("One or more parameter values were invalid: Missing the key %s in the item", k.AttributeName)
		case v.typ != typ && forItem:
			return "", validationf("One or more parameter values were invalid: Type mismatch for key %s expected: %s actual: %s", k.AttributeName, typ, v.typ)
		case !ok || v.typ != typ:
			return "", validationf("%sThe provided key element does not match the schema", where)
		case v.str == "" && typ != "N":
			// DynamoDB words it one way for an item, another for a key.
			kind := map[string]string{"S": "string", "B": "binary"}[typ]
			lead := "One or more parameter values were invalid:"
			if forItem {
				lead = "One or more parameter values are not valid."
			}
			return "", validationf("%s%s The AttributeValue for a key attribute cannot contain an empty %s value. Key: %s", where, lead, kind, k.AttributeName)
		case i == 0 && typ != "N" && len(v.str) > maxHashKeySize:
			return "", validationf("%sOne or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of2048 bytes", where)
		case i == 1 && typ != "N" && len(v.str) > maxRangeKeySize:
			return "", validationf("%sOne or more parameter values were invalid: Aggregated size of all range keys has exceeded the size limit of 1024 bytes", where)
		}
		key = binary.AppendUvarint(key, uint64(len(v.str)))
		key = append(key, v.str...)
	}
	return string(key), nil
}

func (t *table) attrType(name string) string {
	for _, a := range t.desc.AttributeDefinitions {
		if a.AttributeName == name {
			return a.AttributeType
		}
	}
	return ""
}

// keyItem is the item's key attributes, as LastEvaluatedKey gives them.
func (t *table) keyItem(it item) item {
	k := item{}
	for _, e := range t.desc.KeySchema {
		k[e.AttributeName] = it[e.AttributeName]
	}
	return k
}

// expressions reads ExpressionAttributeNames and ExpressionAttributeValues.
func expressions(m map[string]json.RawMessage, exprs ...string) (*names, map[string]rawValue, error) {
	var n map[string]string
	var v map[string]rawValue
	if _, err := get(m, "ExpressionAttributeNames", &n); err != nil {
		return nil, nil, err
	}
	if _, err := get(m, "ExpressionAttributeValues", &v); err != nil {
		return nil, nil, err
	}
	any := false
	for _, e := range exprs {
		_, ok := m[e]
		any = any || ok
	}
	if _, ok := m["ExpressionAttributeValues"]; ok && v == nil {
		v = map[string]rawValue{}
	}
	if _, ok := m["ExpressionAttributeNames"]; ok && n == nil {
		n = map[string]string{}
	}
	for _, k := range sortedKeys(v) {
		if len(k) < 2 || k[0] != ':' || !isIdentifier(k[1:]) {
			return nil, nil, validationf("ExpressionAttributeValues contains invalid key: Syntax error; key: %q", k)
		}
		if _, err := decodeValue(v[k]); err != nil {
			return nil, nil, err
		}
	}
	names, err := checkNames(n, v, any)
	return names, v, err
}

// requiredItem decodes a map of attribute values the request must have.
func requiredItem(m map[string]json.RawMessage, member, field string) (item, error) {
	raw, ok := m[member]
	if !ok {
		return nil, constraint("null", field, "not be null")
	}
	return decodeItem(raw)
}

func (s *Server) putItem(_ context.Context, m map[string]json.RawMessage) ([]byte, error) {
	name, err := tableName(m)
	if err != nil {
		return nil, err
	}
	it, err := requiredItem(m, "Item", "item")
	if err != nil {
		return nil, err
	}
	var returnValues, onFailure string
	if ok, err := get(m, "ReturnValues", &returnValues); err != nil {
		return nil, err
	} else if ok {
		if err := oneOf(returnValues, "returnValues", "ALL_NEW", "UPDATED_OLD", "ALL_OLD", "NONE", "UPDATED_NEW"); err != nil {
			return nil, err
		}
		if returnValues != "ALL_OLD" && returnValues != "NONE" {
			return nil, validationf("ReturnValues can only be ALL_OLD or NONE")
		}
	}
	if ok, err := get(m, "ReturnValuesOnConditionCheckFailure", &onFailure); err != nil {
		return nil, err
	} else if ok {
		if err := oneOf(onFailure, "returnValuesOnConditionCheckFailure", "ALL_OLD", "NONE"); err != nil {
			return nil, err
		}
	}
	for name := range it {
		if len(name) == 0 || len(name) > maxNameSize {
			return nil, validationf("One or more parameter values were invalid: An attribute name must be at least one character long and less than 64 KB in size; this one has %d bytes", len(name))
		}
	}
	if it.hasEmptyName() {
		return nil, validationf("One or more parameter values were invalid: Empty attribute name in a map")
	}
	if it.size() > maxItemSize {
		return nil, validationf("Item size has exceeded the maximum allowed size")
	}
	n, values, err := expressions(m, "ConditionExpression")
	if err != nil {
		return nil, err
	}
	var cond *condition
	var expr string
	if ok, err := get(m, "ConditionExpression", &expr); err != nil {
		return nil, err
	} else if ok {
		c, err := parseCondition(expr, n)
		if err != nil {
			return nil, err
		}
		cond = &c
	}
	if err := n.unused(values); err != nil {
		return nil, err
	}
	t, err := s.table(name)
	if err != nil {
		return nil, err
	}
	key, err := t.keyOf(it, true, "")
	if err != nil {
		return nil, err
	}
	itemJSON := it.appendJSON(nil)

	// The check and the write are one step under the table's lock: a
	// conditional put is atomic.
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.deleted {
		return nil, notFound("Requested resource not found")
	}
	oldJSON, err := t.get(key)
	if err != nil {
		return nil, err
	}
	if cond != nil {
		var old item
		if oldJSON != nil {
			if old, err = decodeItem(oldJSON); err != nil {
				return nil, fmt.Errorf("stored item: %w", err)
			}
		}
		if !cond.holds(old) {
			e := &apiError{http.StatusBadRequest, "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException", "The conditional request failed", nil}
			if onFailure == "ALL_OLD" && oldJSON != nil {
				e.item = oldJSON
			}
			return nil, e
		}
	}
	if err := t.put(key, itemJSON); err != nil {
		return nil, err
	}
	if returnValues == "ALL_OLD" && oldJSON != nil {
		return append(append([]byte(`{"Attributes":`), oldJSON...), '}'), nil
	}
	return []byte("{}"), nil
}

func (s *Server) getItem(_ context.Context, m map[string]json.RawMessage) ([]byte, error) {
	name, err := tableName(m)
	if err != nil {
		return nil, err
	}
	keyAttrs, err := requiredItem(m, "Key", "key")
	if err != nil {
		return nil, err
	}
	var consistent bool // every read is consistent: the member is only checked
	if _, err := get(m, "ConsistentRead", &consistent); err != nil {
		return nil, err
	}
	attrs, err := projection(m)
	if err != nil {
		return nil, err
	}
	t, err := s.table(name)
	if err != nil {
		return nil, err
	}
	key, err := t.keyOf(keyAttrs, false, "")
	if err != nil {
		return nil, err
	}
	t.mu.RLock()
	if t.deleted {
		t.mu.RUnlock()
		return nil, notFound("Requested resource not found")
	}
	itemJSON, err := t.get(key) // under the lock: DeleteTable closes the file
	t.mu.RUnlock()
	if err != nil {
		return nil, err
	}
	if itemJSON == nil {
		return []byte("{}"), nil
	}
	if attrs != nil {
		it, err := decodeItem(itemJSON)
		if err != nil {
			return nil, fmt.Errorf("stored item: %w", err)
		}
		itemJSON = project(it, attrs).appendJSON(nil)
	}
	return append(append([]byte(`{"Item":`), itemJSON...), '}'), nil
}

// projection reads ProjectionExpression with its names; nil is every
// attribute.
func projection(m map[string]json.RawMessage) ([]string, error) {
	n, values, err := expressions(m, "ProjectionExpression")
	if err != nil {
		return nil, err
	}
	var expr string
	var attrs []string
	if ok, err := get(m, "ProjectionExpression", &expr); err != nil {
		return nil, err
	} else if ok {
		if attrs, err = parseProjection(expr, n); err != nil {
			return nil, err
		}
	}
	return attrs, n.unused(values)
}

func (s *Server) scan(_ context.Context, m map[string]json.RawMessage) ([]byte, error) {
	name, err := tableName(m)
	if err != nil {
		return nil, err
	}
	limit := 0
	if ok, err := get(m, "Limit", &limit); err != nil {
		return nil, err
	} else if ok && limit < 1 {
		return nil, constraint(fmt.Sprintf("'%d'", limit), "limit", "have value greater than or equal to 1")
	}
	var sel string
	if ok, err := get(m, "Select", &sel); err != nil {
		return nil, err
	} else if ok {
		if err := oneOf(sel, "select", "SPECIFIC_ATTRIBUTES", "COUNT", "ALL_ATTRIBUTES", "ALL_PROJECTED_ATTRIBUTES"); err != nil {
			return nil, err
		}
	}
	var consistent bool // every read is consistent: the member is only checked
	if _, err := get(m, "ConsistentRead", &consistent); err != nil {
		return nil, err
	}
	var start item
	if raw, ok := m["ExclusiveStartKey"]; ok {
		if start, err = decodeItem(raw); err != nil {
			return nil, err
		}
	}
	attrs, err := projection(m)
	if err != nil {
		return nil, err
	}
	_, projected := m["ProjectionExpression"]
	switch {
	case sel == "ALL_PROJECTED_ATTRIBUTES":
		return nil, validationf("One or more parameter values were invalid: Select type ALL_PROJECTED_ATTRIBUTES is supported only for Query or Scan of an index")
	case sel == "SPECIFIC_ATTRIBUTES" && !projected:
		return nil, validationf("One or more parameter values were invalid: Select type SPECIFIC_ATTRIBUTES needs a ProjectionExpression")
	case (sel == "ALL_ATTRIBUTES" || sel == "COUNT") && projected:
		return nil, validationf("One or more parameter values were invalid: Cannot specify the ProjectionExpression when choosing to get %s", sel)
	}
	t, err := s.table(name)
	if err != nil {
		return nil, err
	}
	// A page is read under the write lock: it may sort the keys.
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.deleted {
		return nil, notFound("Requested resource not found")
	}
	t.scanOrder()
	first := 0
	if start != nil {
		key, err := t.keyOf(start, false, "The provided starting key is invalid: ")
		if err != nil {
			return nil, err
		}
		first = t.after(key)
	}
	// A page ends after Limit items or once the items read reach 1 MB, by
	// the item sizes of the Developer Guide; its last item's key is then
	// LastEvaluatedKey, even when no item follows (as DynamoDB does).
	var page []byte
	count, size, i := 0, 0, first
	var last item
	for ; i < len(t.order) && (limit == 0 || count < limit) && size < maxScanPage; i++ {
		itemJSON, err := t.read(t.slots[t.order[i]])
		if err != nil {
			return nil, err
		}
		it, err := decodeItem(itemJSON)
		if err != nil {
			return nil, fmt.Errorf("stored item: %w", err)
		}
		size += it.size()
		count++
		last = it
		if sel == "COUNT" {
			continue
		}
		if count > 1 {
			page = append(page, ',')
		}
		if attrs != nil {
			page = project(it, attrs).appendJSON(page)
		} else {
			page = append(page, itemJSON...)
		}
	}
	out := fmt.Appendf(nil, `{"Count":%d,"ScannedCount":%d`, count, count)
	if sel != "COUNT" {
		out = append(out, `,"Items":[`...)
		out = append(out, page...)
		out = append(out, ']')
	}
	if last != nil && ((limit > 0 && count >= limit) || size >= maxScanPage) {
		out = append(out, `,"LastEvaluatedKey":`...)
		out = t.keyItem(last).appendJSON(out)
	}
	return append(out, '}'), nil
}
