// Package function is ProcessOrderLambda: it takes batches of SQS messages
// that carry orders and stores each order once in the DynamoDB table.
package function

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
)

// The environment variables the stack sets on the function.
const (
	EnvTable    = "ORDERS_TABLE"
	EnvDLQURL   = "DLQ_URL"
	EnvLogLevel = "LOG_LEVEL"
)

// Config is the function's configuration, read once per container.
type Config struct {
	Table    string
	DLQURL   string
	LogLevel slog.Level
}

// ConfigFromEnv reads the configuration through getenv (os.Getenv in the
// function) and names every variable that is missing or invalid.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	var errs []error
	c := Config{Table: getenv(EnvTable), DLQURL: getenv(EnvDLQURL)}
	if c.Table == "" {
		errs = append(errs, fmt.Errorf("%s: must name the orders table", EnvTable))
	}
	if c.DLQURL == "" {
		errs = append(errs, fmt.Errorf("%s: must be the dead-letter queue's URL", EnvDLQURL))
	}
	if v := getenv(EnvLogLevel); v != "" {
		if err := c.LogLevel.UnmarshalText([]byte(strings.ToUpper(v))); err != nil {
			errs = append(errs, fmt.Errorf("%s=%q: must be debug, info, warn or error", EnvLogLevel, v))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return Config{}, fmt.Errorf("function configuration: %w", err)
	}
	return c, nil
}
