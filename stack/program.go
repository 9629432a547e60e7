// Package stack is orderpipe's Pulumi program: the function build and the
// OrderPipeline component that declares every AWS resource of one stack from
// its configuration and names (package spec).
package stack

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/orderpipe/orderpipe/spec"
)

// Builder produces the function's deployment archive for a Lambda
// architecture and returns its path.
type Builder interface {
	Build(ctx context.Context, arch string) (string, error)
}

// Options adjust the program. The zero value is what `pulumi up` runs.
type Options struct {
	// Builder builds the function archive. Nil: GoBuild of this module, from
	// the project's root directory into its .build folder.
	Builder Builder
	// ConfigKeys are the configuration keys the stack has, so that an
	// unknown orderpipe key is refused (a Pulumi program cannot list them).
	// Nil: the keys in $PULUMI_CONFIG, where the Pulumi CLI passes them to
	// a program it runs.
	ConfigKeys []string
	// Tags are added to the tags of every resource that takes tags; an
	// ephemeral environment marks its resources with them, so that the
	// janitor can find them in the account whatever any state says.
	Tags map[string]string
}

// configKeys lists the keys of the Pulumi configuration in $PULUMI_CONFIG.
func configKeys() ([]string, error) {
	raw := os.Getenv(pulumi.EnvConfig)
	if raw == "" {
		return nil, nil
	}
	var m map[string]string
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		return nil, fmt.Errorf("read the configuration in $%s: %w", pulumi.EnvConfig, err)
	}
	return slices.Sorted(maps.Keys(m)), nil
}

// Program returns the orderpipe Pulumi program.
func Program(opts Options) pulumi.RunFunc {
	return func(ctx *pulumi.Context) error {
		_, err := Declare(ctx, opts)
		return err
	}
}

// Declare validates the whole configuration of the stack, builds the
// function and declares the pipeline and the stack outputs. No resource is
// registered when the configuration is invalid.
func Declare(ctx *pulumi.Context, opts Options) (*Pipeline, error) {
	keys := opts.ConfigKeys
	if keys == nil {
		var err error
		if keys, err = configKeys(); err != nil {
			return nil, err
		}
	}
	cfg, err := spec.LoadConfig(ctx.Stack(), func(key string) (string, bool) {
		return ctx.GetConfig(spec.Namespace + ":" + key)
	}, keys)
	if err != nil {
		return nil, err
	}
	builder := opts.Builder
	if builder == nil {
		root, err := projectRoot(ctx)
		if err != nil {
			return nil, err
		}
		builder = GoBuild{ModuleDir: root, OutDir: filepath.Join(root, ".build")}
	}
	archive, err := builder.Build(ctx.Context(), cfg.Architecture)
	if err != nil {
		return nil, err
	}

	p, err := NewPipeline(ctx, ctx.Project(), PipelineArgs{
		Config: cfg,
		Names:  spec.Namer{Project: ctx.Project(), Stack: ctx.Stack()},
		Code:   pulumi.NewFileArchive(archive),
		Tags:   opts.Tags,
	})
	if err != nil {
		return nil, err
	}
	for name, v := range p.Outputs() {
		ctx.Export(name, v)
	}
	return p, nil
}

// projectRoot is the directory of Pulumi.yaml, which is also the module root.
func projectRoot(ctx *pulumi.Context) (string, error) {
	if root := ctx.RootDirectory(); root != "" {
		return root, nil
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find the project root: %w", err)
	}
	return wd, nil
}
