package backendurl

import (
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"testing"
)

// A file backend's path is resolved as the CLI resolves it
// (massageBlobPath, pkg/backend/diy/backend.go of pulumi/pulumi): ~ is the
// account's home directory (os/user, not $HOME: `pulumi login --local`
// writes file://~), a relative path is made absolute against the working
// directory, a trailing slash and dot segments are cleaned; the query is
// kept. The CLI started by a program runs in another directory (the
// automation API's is a temporary one): the URL must reach it resolved.
func TestResolveFile(t *testing.T) {
	t.Setenv("HOME", t.TempDir()) // not where the CLI looks
	u, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	home := filepath.ToSlash(u.HomeDir)
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	wd = filepath.ToSlash(wd)
	for _, tc := range []struct{ in, want string }{
		{"file://~", "file://" + home},
		{"file://~/", "file://" + home},
		{"file://~/state", "file://" + home + "/state"},
		{"file://~/state?metadata=skip", "file://" + home + "/state?metadata=skip"},
		{"file://state", "file://" + wd + "/state"},
		{"file://./state/", "file://" + wd + "/state"},
		{"file://a/../state?no_tmp_dir=true", "file://" + wd + "/state?no_tmp_dir=true"},
		{"file:///var/state/", "file:///var/state"},
		{"file:///var/state", "file:///var/state"},
		{"https://api.pulumi.com", "https://api.pulumi.com"},
		{"s3://bucket/prefix?region=eu-west-1", "s3://bucket/prefix?region=eu-west-1"},
	} {
		got, err := Resolve(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("Resolve(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

// An s3 backend URL of the AWS SDK v1 era is read as the CLI reads it
// (translateLegacyS3Params, pkg/backend/diy/backend.go of pulumi/pulumi):
// disableSSL becomes disable_https (dropped when the endpoint names its
// scheme), a scheme-less endpoint gets one, and an endpoint (a store other
// than AWS) gets request_checksum_calculation=when_required unless set.
func TestResolveS3V1Params(t *testing.T) {
	t.Setenv("AWS_REQUEST_CHECKSUM_CALCULATION", "")
	for _, tc := range []struct{ in, want string }{
		{"s3://b?endpoint=minio:9000&disableSSL=true&s3ForcePathStyle=true",
			"s3://b?disable_https=true&endpoint=http%3A%2F%2Fminio%3A9000&request_checksum_calculation=when_required&s3ForcePathStyle=true"},
		{"s3://b/p?endpoint=minio:9000", "s3://b/p?endpoint=https%3A%2F%2Fminio%3A9000&request_checksum_calculation=when_required"},
		{"s3://b?endpoint=http://minio:9000&disableSSL=true",
			"s3://b?endpoint=http%3A%2F%2Fminio%3A9000&request_checksum_calculation=when_required"},
		{"s3://b?endpoint=https://minio:9000&request_checksum_calculation=when_supported",
			"s3://b?endpoint=https://minio:9000&request_checksum_calculation=when_supported"},
		{"s3://b?disableSSL=false", "s3://b?disable_https=false"},
		{"s3://b?region=eu-west-1", "s3://b?region=eu-west-1"},
	} {
		got, err := Resolve(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("Resolve(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	if _, err := Resolve("s3://b?disableSSL=maybe"); err == nil || !strings.Contains(err.Error(), "disableSSL") {
		t.Errorf("disableSSL=maybe: %v, want an error naming it", err)
	}
}

// A file backend is handed to the CLI without sidecars, unless its URL
// chooses otherwise; another backend's URL is left as it is.
func TestNoSidecars(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"file:///var/state", "file:///var/state?metadata=skip"},
		{"file://~", "file://~?metadata=skip"},
		{"file:///var/state?no_tmp_dir=true", "file:///var/state?no_tmp_dir=true&metadata=skip"},
		{"file:///var/state?metadata=skip", "file:///var/state?metadata=skip"},
		{"file:///var/state?metadata=", "file:///var/state?metadata="},
		{"s3://bucket/prefix?region=eu-west-1", "s3://bucket/prefix?region=eu-west-1"},
		{"https://api.pulumi.com", "https://api.pulumi.com"},
	} {
		if got := NoSidecars(tc.in); got != tc.want {
			t.Errorf("NoSidecars(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
