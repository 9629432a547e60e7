// Command ciiam is the Pulumi program of the IAM that orderpipe's GitHub
// workflows run under, which a platform team deploys once per AWS account
// (its own project and stack, in this directory):
//
//   - the GitHub Actions OIDC identity provider;
//   - the pull-request deploy role, assumable only by jobs of one GitHub
//     environment of one repository (OIDC subject
//     repo:OWNER/REPO:environment:NAME), which may create roles only under a
//     permissions boundary and pass them only to Lambda;
//   - that permissions boundary;
//   - the janitor role of the nightly sweep, assumable only from the default
//     branch, whose deletes are conditioned on the resources' tags
//     orderpipe:ephemeral=true and orderpipe:owner.
//
// Its configuration is in the ciiam namespace; see docs/environments.md.
package main

import "github.com/pulumi/pulumi/sdk/v3/go/pulumi"

func main() {
	pulumi.Run(program)
}
