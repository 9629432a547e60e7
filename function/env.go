// Package function is ProcessOrderLambda: it takes batches of SQS messages
// that carry orders, stores each valid order exactly once in DynamoDB, sends
// each message that can never be stored to the dead-letter queue with its
// reason, and hands everything else back to SQS to retry.
package function

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
)

// The environment variables the stack sets on the function.
const (
	EnvTable       = "ORDERS_TABLE"
	EnvDLQURL      = "DLQ_URL"
	EnvLogLevel    = "LOG_LEVEL"
	EnvConcurrency = "HANDLER_CONCURRENCY"
)

// Concurrency limits of one batch.
const (
	DefaultConcurrency = 10
	MaxConcurrency     = 100
)

// Config is the function's configuration, read once per container.
type Config struct {
	Table       string
	DLQURL      string
	LogLevel    slog.Level
	Concurrency int
}

// ConfigFromEnv reads the configuration through getenv (os.Getenv in the
// function) and names every variable that is missing or invalid.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	var errs []error
	bad := func(name, rule string) {
		errs = append(errs, fmt.Errorf("%s=%q: %s", name, getenv(name), rule))
	}
	c := Config{Table: getenv(EnvTable), DLQURL: getenv(EnvDLQURL), Concurrency: DefaultConcurrency}
	if !validTableName(c.Table) {
		bad(EnvTable, "must name the orders table: 3 to 255 characters of A-Z, a-z, 0-9, _, - and .")
	}
	if u, err := url.Parse(c.DLQURL); err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		bad(EnvDLQURL, "must be the dead-letter queue's URL, such as https://sqs.eu-west-1.amazonaws.com/123456789012/orders-dlq")
	}
	if v := getenv(EnvLogLevel); v != "" {
		if err := c.LogLevel.UnmarshalText([]byte(strings.ToUpper(v))); err != nil {
			bad(EnvLogLevel, "must be debug, info, warn or error")
		}
	}
	if v := getenv(EnvConcurrency); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxConcurrency {
			bad(EnvConcurrency, fmt.Sprintf("must be a whole number from 1 to %d", MaxConcurrency))
		}
		c.Concurrency = n
	}
	if err := errors.Join(errs...); err != nil {
		return Config{}, fmt.Errorf("invalid function configuration: %w", err)
	}
	return c, nil
}

func validTableName(s string) bool {
	if len(s) < 3 || len(s) > 255 {
		return false
	}
	for _, c := range []byte(s) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}
