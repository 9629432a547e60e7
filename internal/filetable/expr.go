package filetable

import (
	"sort"
	"strings"
)

// names are a request's ExpressionAttributeNames, with the ones its
// expressions used.
type names struct {
	m    map[string]string
	used map[string]bool
}

// resolve is a path of an expression: a top-level attribute name or a
// #placeholder, the only paths the file table supports.
func (n *names) resolve(param, expr, tok string) (string, error) {
	if tok == "" {
		return "", validationf("Invalid %s: Syntax error; token: <EOF>, near: %q", param, expr)
	}
	if strings.ContainsAny(tok, ".[]") {
		return "", unsupportedf("a nested path (%s) in %s: only top-level attribute names", tok, param)
	}
	if tok[0] == '#' {
		name, ok := n.m[tok]
		if !ok {
			return "", validationf("Invalid %s: An expression attribute name used in the document path is not defined; attribute name: %s", param, tok)
		}
		n.used[tok] = true
		return name, nil
	}
	if !isIdentifier(tok) {
		return "", unsupportedf("%s %q: only attribute_exists(path) and attribute_not_exists(path) of a top-level name or #placeholder", param, expr)
	}
	if isReserved(tok) {
		return "", validationf("Invalid %s: Attribute name is a reserved keyword; reserved keyword: %s", param, tok)
	}
	return tok, nil
}

func isIdentifier(s string) bool {
	for i, c := range s {
		switch {
		case c == '_', 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case '0' <= c && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return s != ""
}

func isPlaceholder(s string) bool { return len(s) > 1 && s[0] == '#' && isIdentifier(s[1:]) }

// condition is the only kind of ConditionExpression supported: whether an
// attribute exists.
type condition struct {
	attr   string
	exists bool
}

func (c condition) holds(old item) bool {
	_, ok := old[c.attr]
	return ok == c.exists
}

func parseCondition(expr string, n *names) (condition, error) {
	const param = "ConditionExpression"
	e := strings.TrimSpace(expr)
	if e == "" {
		return condition{}, validationf("Invalid %s: The expression can not be empty;", param)
	}
	var c condition
	open := strings.IndexByte(e, '(')
	if open < 0 || !strings.HasSuffix(e, ")") {
		return c, unsupportedf("%s %q: only attribute_exists(path) and attribute_not_exists(path) of a top-level name or #placeholder", param, expr)
	}
	switch strings.TrimSpace(e[:open]) {
	case "attribute_exists":
		c.exists = true
	case "attribute_not_exists":
	default:
		return c, unsupportedf("%s %q: only attribute_exists(path) and attribute_not_exists(path) of a top-level name or #placeholder", param, expr)
	}
	arg := strings.TrimSpace(e[open+1 : len(e)-1])
	if strings.ContainsAny(arg, "(),") || strings.ContainsAny(arg, " \t\n\r") {
		return c, unsupportedf("%s %q: only attribute_exists(path) and attribute_not_exists(path) of a top-level name or #placeholder", param, expr)
	}
	var err error
	c.attr, err = n.resolve(param, expr, arg)
	return c, err
}

// parseProjection reads a ProjectionExpression of top-level names and
// #placeholders into the attribute names it keeps.
func parseProjection(expr string, n *names) ([]string, error) {
	const param = "ProjectionExpression"
	if strings.TrimSpace(expr) == "" {
		return nil, validationf("Invalid %s: The expression can not be empty;", param)
	}
	var attrs []string
	seen := map[string]string{}
	for _, tok := range strings.Split(expr, ",") {
		tok = strings.TrimSpace(tok)
		if strings.ContainsAny(tok, " \t\n\r()") {
			return nil, unsupportedf("%s %q: only top-level attribute names and #placeholders separated by commas", param, expr)
		}
		name, err := n.resolve(param, expr, tok)
		if err != nil {
			return nil, err
		}
		if prev, ok := seen[name]; ok {
			return nil, validationf("Invalid %s: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [%s], path two: [%s]", param, prev, name)
		}
		seen[name] = name
		attrs = append(attrs, name)
	}
	return attrs, nil
}

// checkNames checks ExpressionAttributeNames and ExpressionAttributeValues
// before the expressions are read.
func checkNames(m map[string]string, values map[string]rawValue, anyExpr bool) (*names, error) {
	if m != nil && !anyExpr {
		return nil, validationf("ExpressionAttributeNames can only be specified when using expressions")
	}
	if values != nil && !anyExpr {
		return nil, validationf("ExpressionAttributeValues can only be specified when using expressions: ConditionExpression is null")
	}
	if m != nil && len(m) == 0 {
		return nil, validationf("ExpressionAttributeNames must not be empty")
	}
	for _, k := range sortedKeys(m) {
		if !isPlaceholder(k) {
			return nil, validationf("ExpressionAttributeNames contains invalid key: Syntax error; key: %q", k)
		}
		if m[k] == "" {
			return nil, validationf("ExpressionAttributeNames contains invalid value: Empty attribute name for key %s", k)
		}
	}
	if values != nil && len(values) == 0 {
		return nil, validationf("ExpressionAttributeValues must not be empty")
	}
	return &names{m: m, used: map[string]bool{}}, nil
}

// unused fails when a name or value was given that no expression used:
// DynamoDB refuses those. The expressions supported here use no values.
func (n *names) unused(values map[string]rawValue) error {
	var left []string
	for _, k := range sortedKeys(n.m) {
		if !n.used[k] {
			left = append(left, k)
		}
	}
	if len(left) > 0 {
		return validationf("Value provided in ExpressionAttributeNames unused in expressions: keys: {%s}", strings.Join(left, ", "))
	}
	if len(values) > 0 {
		return validationf("Value provided in ExpressionAttributeValues unused in expressions: keys: {%s}", strings.Join(sortedKeys(values), ", "))
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// project keeps the item's attributes named.
func project(it item, attrs []string) item {
	if attrs == nil {
		return it
	}
	out := make(item, len(attrs))
	for _, a := range attrs {
		if v, ok := it[a]; ok {
			out[a] = v
		}
	}
	return out
}
