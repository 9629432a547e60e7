package spec

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/mail"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/agext/levenshtein"

	"github.com/orderpipe/orderpipe/function"
)

// Namespace is the Pulumi configuration namespace of every orderpipe key.
const Namespace = "orderpipe"

// Limits that AWS enforces and that the configuration rules derive from.
const (
	maxVisibilityTimeout = 43200 // SQS: 12 hours
	minRetention         = 60    // SQS: 1 minute
	maxRetention         = 1209600
	// VisibilityRatio is AWS's recommendation for SQS event sources: the
	// queue's visibility timeout is at least six times the function timeout
	// plus the batching window, so that throttled retries of a batch do not
	// make its messages visible again while it is still being processed.
	VisibilityRatio = 6
)

// DefaultLambdaMemory is the function's memory unless configured: the
// cheapest size per order that BenchmarkCost (internal/lambdacost) measured.
// Lambda gives a function CPU in proportion to its memory, and at 128 and
// 256 MB the handler is CPU-bound: a batch takes longer in proportion, so it
// costs as much or more per order, and its latency is several times higher.
const DefaultLambdaMemory = 512

// managedPolicyARN matches the ARN of an IAM managed policy: a customer's
// (12-digit account) or AWS's ("aws"), with an optional path.
var managedPolicyARN = regexp.MustCompile(`^arn:aws(-[a-z]+)*:iam::(\d{12}|aws):policy/([\w+=,.@-]+/)*[\w+=,.@-]{1,128}$`)

// logRetentionDays are the values CloudWatch Logs accepts for a retention.
var logRetentionDays = []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}

// Config is the validated configuration of one stack of the pipeline.
// Durations are whole seconds.
type Config struct {
	LambdaTimeout      int
	LambdaMemory       int
	Architecture       string // "arm64" or "x86_64"
	BatchSize          int
	BatchWindow        int
	MaxConcurrency     int
	MaxReceiveCount    int
	VisibilityOverride int // 0 derives the timeout, see VisibilityTimeout
	QueueRetention     int
	DLQRetention       int
	LogRetentionDays   int
	LogLevel           string
	HandlerConcurrency int // records of a batch the function handles at once
	QueueAgeAlarm      int
	AlarmEmail         string
	RawMessageDelivery bool
	DeletionProtection bool
	Tracing            bool // active X-Ray tracing of the function
	// PermissionsBoundary is the ARN of the managed policy set as the
	// function role's permissions boundary ("" sets none): an account that
	// lets a deployer create roles only under a boundary (ciiam's deploy
	// role) refuses CreateRole without it.
	PermissionsBoundary string
}

// VisibilityTimeout is the queue's visibility timeout: the override when one
// is set, else VisibilityRatio × LambdaTimeout + BatchWindow.
func (c Config) VisibilityTimeout() int {
	if c.VisibilityOverride > 0 {
		return c.VisibilityOverride
	}
	return VisibilityRatio*c.LambdaTimeout + c.BatchWindow
}

// FieldError is one configuration value that breaks a rule.
type FieldError struct {
	Key     string // without the namespace
	Value   string
	Default bool // the key is not set and Value is its default
	Rule    string
}

func (e FieldError) Error() string {
	if e.Default {
		return fmt.Sprintf("%s:%s=%s (the default, key not set): %s", Namespace, e.Key, e.Value, e.Rule)
	}
	return fmt.Sprintf("%s:%s=%q: %s", Namespace, e.Key, e.Value, e.Rule)
}

// ConfigError lists every broken rule of a configuration, so that one run
// reports all of them.
type ConfigError []FieldError

func (e ConfigError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "invalid %s configuration (%d problems):", Namespace, len(e))
	for _, fe := range e {
		b.WriteString("\n  ")
		b.WriteString(fe.Error())
	}
	return b.String()
}

// Lookup returns the raw value of a key of the orderpipe namespace (given
// without the namespace) and whether it is set.
type Lookup func(key string) (string, bool)

// MapLookup looks keys up in m, whose keys may carry the namespace or not.
func MapLookup(m map[string]string) Lookup {
	return func(key string) (string, bool) {
		if v, ok := m[Namespace+":"+key]; ok {
			return v, true
		}
		v, ok := m[key]
		return v, ok
	}
}

var prodLike = regexp.MustCompile(`^(prod|production)([-_.].*)?$`)

// ParseAssignments reads key=value settings, as the --config flags of the
// orderpipe commands give them.
func ParseAssignments(kvs []string) (map[string]string, error) {
	m := map[string]string{}
	for _, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("--config %q: want key=value", kv)
		}
		m[k] = v
	}
	return m, nil
}

// LoadMap is LoadConfig of the keys and values in m, whose keys may carry
// the namespace or not.
func LoadMap(stackName string, m map[string]string) (Config, error) {
	return LoadConfig(stackName, MapLookup(m), slices.Sorted(maps.Keys(m)))
}

// LoadConfig reads and validates the configuration of the named stack. It
// checks every key before it returns, and its error is a ConfigError naming
// each key, value and rule that failed. set lists the keys the stack has,
// with or without the namespace: an orderpipe key among them that is not a
// setting (a typo such as lambdaTimout) is an error too, rather than a
// default silently in force; keys of other namespaces are not looked at.
func LoadConfig(stackName string, get Lookup, set []string) (Config, error) {
	asked := map[string]bool{}
	p := parser{get: func(key string) (string, bool) {
		asked[key] = true
		return get(key)
	}}
	c := Config{
		LambdaTimeout:       p.intIn("lambdaTimeout", 30, 1, 900, "seconds"),
		LambdaMemory:        p.intIn("lambdaMemory", DefaultLambdaMemory, 128, 10240, "MB"),
		Architecture:        p.oneOf("architecture", "arm64", "arm64", "x86_64"),
		BatchSize:           p.intIn("batchSize", 10, 1, 10000, "messages"),
		BatchWindow:         p.intIn("batchWindow", 0, 0, 300, "seconds"),
		MaxConcurrency:      p.intIn("maxConcurrency", 10, 2, 1000, "concurrent functions"),
		MaxReceiveCount:     p.intIn("maxReceiveCount", 3, 1, 1000, "receives"),
		VisibilityOverride:  p.intIn("visibilityTimeout", 0, 0, maxVisibilityTimeout, "seconds (0 derives it)"),
		QueueRetention:      p.intIn("queueRetention", 345600, minRetention, maxRetention, "seconds"),
		DLQRetention:        p.intIn("dlqRetention", maxRetention, minRetention, maxRetention, "seconds"),
		LogRetentionDays:    p.logRetention("logRetentionDays", 30),
		LogLevel:            p.oneOf("logLevel", "info", "debug", "info", "warn", "error"),
		HandlerConcurrency:  p.intIn("handlerConcurrency", function.DefaultConcurrency, 1, function.MaxConcurrency, "records at once"),
		QueueAgeAlarm:       p.intIn("queueAgeAlarm", 600, 60, maxRetention, "seconds"),
		AlarmEmail:          p.email("alarmEmail"),
		RawMessageDelivery:  p.boolean("rawMessageDelivery", true),
		DeletionProtection:  p.boolean("deletionProtection", prodLike.MatchString(stackName)),
		Tracing:             p.boolean("tracing", true),
		PermissionsBoundary: p.policyARN("permissionsBoundary"),
	}

	if c.BatchSize > 10 && c.BatchWindow < 1 {
		p.fail("batchWindow", c.BatchWindow, "must be at least 1 second when batchSize is above 10 (an SQS event source rule)")
	}
	if v := c.VisibilityOverride; v > 0 && v < c.LambdaTimeout {
		p.fail("visibilityTimeout", v, fmt.Sprintf("must not be below lambdaTimeout (%ds), or messages reappear while the function still runs; recommended: %d × lambdaTimeout + batchWindow = %ds",
			c.LambdaTimeout, VisibilityRatio, VisibilityRatio*c.LambdaTimeout+c.BatchWindow))
	}
	if c.DLQRetention <= c.QueueRetention {
		p.fail("dlqRetention", c.DLQRetention, fmt.Sprintf("must be longer than queueRetention (%ds): a message keeps its first enqueue time when it moves to the dead-letter queue", c.QueueRetention))
	}
	for _, key := range set {
		ns, name, found := strings.Cut(key, ":")
		if !found {
			ns, name = Namespace, key
		}
		if ns == Namespace && !asked[name] {
			p.errs = append(p.errs, FieldError{Key: name, Value: value(get, name), Rule: unknownKey(name, slices.Sorted(maps.Keys(asked)))})
		}
	}
	if len(p.errs) > 0 {
		return Config{}, p.errs
	}
	return c, nil
}

func value(get Lookup, key string) string {
	v, _ := get(key)
	return v
}

// unknownKey says that key is not a setting, and names the one meant when
// the key is a likely typo of it.
func unknownKey(key string, known []string) string {
	rule := "is not an orderpipe setting"
	best, dist := "", 4 // more edits than this is not a typo
	for _, k := range known {
		if d := levenshtein.Distance(strings.ToLower(key), strings.ToLower(k), nil); d < dist {
			best, dist = k, d
		}
	}
	if best != "" {
		return rule + "; did you mean " + best + "?"
	}
	return rule + "; the settings are " + strings.Join(known, ", ")
}

// parser reads typed values and collects every failure instead of stopping
// at the first.
type parser struct {
	get  Lookup
	errs ConfigError
}

// fail records a broken rule; effective is the value in force, which is the
// default when the key is not set.
func (p *parser) fail(key string, effective any, rule string) {
	v, set := p.get(key)
	if !set {
		v = fmt.Sprint(effective)
	}
	p.errs = append(p.errs, FieldError{Key: key, Value: v, Default: !set, Rule: rule})
}

func (p *parser) intIn(key string, def, lo, hi int, unit string) int {
	s, ok := p.get(key)
	if !ok {
		return def
	}
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < lo || n > hi {
		p.fail(key, s, fmt.Sprintf("must be a whole number from %d to %d (%s)", lo, hi, unit))
		return def
	}
	return n
}

func (p *parser) oneOf(key, def string, allowed ...string) string {
	s, ok := p.get(key)
	if !ok {
		return def
	}
	if !slices.Contains(allowed, s) {
		p.fail(key, s, "must be one of "+strings.Join(allowed, ", "))
		return def
	}
	return s
}

func (p *parser) boolean(key string, def bool) bool {
	s, ok := p.get(key)
	if !ok {
		return def
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		p.fail(key, s, "must be true or false")
		return def
	}
	return b
}

func (p *parser) logRetention(key string, def int) int {
	s, ok := p.get(key)
	if !ok {
		return def
	}
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || !slices.Contains(logRetentionDays, n) {
		p.fail(key, s, "must be one of CloudWatch Logs' retention periods in days: "+joinInts(logRetentionDays))
		return def
	}
	return n
}

// policyARN reads the ARN of an IAM managed policy, of any partition.
func (p *parser) policyARN(key string) string {
	s, ok := p.get(key)
	if !ok || s == "" {
		return ""
	}
	if !managedPolicyARN.MatchString(s) {
		p.fail(key, s, "must be the ARN of an IAM managed policy, such as arn:aws:iam::123456789012:policy/orderpipe-ci-boundary")
		return ""
	}
	return s
}

func (p *parser) email(key string) string {
	s, ok := p.get(key)
	if !ok || s == "" {
		return ""
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s {
		p.fail(key, s, "must be a plain e-mail address such as ops@example.com")
		return ""
	}
	return s
}

func joinInts(ns []int) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ", ")
}

// RedrivePolicy is the redrive policy of a queue whose dead-letter queue is
// dlqArn: the stack's, and the local run's.
func RedrivePolicy(dlqArn string, maxReceiveCount int) (string, error) {
	b, err := json.Marshal(redrivePolicy{DeadLetterTargetArn: dlqArn, MaxReceiveCount: maxReceiveCount})
	return string(b), err
}

type redrivePolicy struct {
	DeadLetterTargetArn string `json:"deadLetterTargetArn"`
	MaxReceiveCount     int    `json:"maxReceiveCount"`
}
