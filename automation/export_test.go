package automation

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
)

// EngineUp runs the engine's update of the stack as it is, with no recovery
// and no wait: what the CLI itself does about the stack's lock.
func (e *Env) EngineUp(ctx context.Context) error {
	_, err := e.stack.Up(ctx)
	return err
}

// PendingOps exports the stack's state (`pulumi stack export`) and returns
// its pending operations, as "<type> <urn>".
func (e *Env) PendingOps(ctx context.Context) ([]string, error) {
	raw, err := e.stack.Export(ctx)
	if err != nil {
		return nil, err
	}
	var d apitype.DeploymentV3
	if len(raw.Deployment) > 0 {
		if err := json.Unmarshal(raw.Deployment, &d); err != nil {
			return nil, err
		}
	}
	var ops []string
	for _, op := range d.PendingOperations {
		ops = append(ops, fmt.Sprintf("%s %s", op.Type, op.Resource.URN))
	}
	return ops, nil
}
