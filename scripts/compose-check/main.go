// compose-check loads a Compose file exactly the way `docker compose` does (same compose-go loader, same
// interpolation from the shell environment and .env) and fails on anything `docker compose config` would reject:
// schema errors such as unknown keys, and consistency errors such as depends_on targets, volumes or networks that
// are not defined, or dependency cycles. CI runs it because no Docker engine is available to run the file itself.
//
// Usage: go run . [path/to/docker-compose.yml]   (exit 0 = valid, 1 = invalid, 2 = usage)
package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
)

func main() {
	path := "docker-compose.yml"
	switch len(os.Args) {
	case 1:
	case 2:
		path = os.Args[1]
	default:
		fmt.Fprintln(os.Stderr, "usage: compose-check [path/to/docker-compose.yml]")
		os.Exit(2)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		fail(path, err)
	}

	project, err := load(abs)
	if err != nil {
		fail(abs, err)
	}
	// The loader accepts a build context or Dockerfile that does not exist; `docker compose build` would not.
	if err := checkBuildInputs(project); err != nil {
		fail(abs, err)
	}
	// A missing bind-mount source is not an error to the loader either; the engine would mount an empty directory.
	if err := checkBindSources(project); err != nil {
		fail(abs, err)
	}
	// The loader knows nothing of Kafka: an app whose topics want more replicas than its cluster has brokers, or
	// settings that differ from the brokers', is valid YAML that fails (or quietly weakens) at run time.
	if err := checkKafkaReplication(project); err != nil {
		fail(abs, err)
	}
	report(abs, project)
}

func load(path string) (*types.Project, error) {
	opts, err := cli.NewProjectOptions([]string{path},
		// Paths and the default .env resolve against the file's folder, as `docker compose -f <file>` does.
		cli.WithWorkingDirectory(filepath.Dir(path)),
		cli.WithOsEnv,
		cli.WithEnvFiles(),
		cli.WithDotEnv,
		// These are the loader's defaults; stated explicitly so a future default change cannot quietly weaken CI.
		cli.WithInterpolation(true),
		cli.WithNormalization(true),
		cli.WithResolvedPaths(true),
		cli.WithConsistency(true),
		// Every profile (e.g. observability), so services behind one are checked like the rest.
		cli.WithProfiles([]string{"*"}),
	)
	if err != nil {
		return nil, err
	}
	return opts.LoadProject(context.Background())
}

func checkBuildInputs(p *types.Project) error {
	for _, name := range p.ServiceNames() {
		b := p.Services[name].Build
		if b == nil || b.DockerfileInline != "" || strings.Contains(b.Context, "://") {
			continue
		}
		if st, err := os.Stat(b.Context); err != nil || !st.IsDir() {
			return fmt.Errorf("service %q: build context %s is not a directory", name, b.Context)
		}
		dockerfile := b.Dockerfile
		if dockerfile == "" {
			dockerfile = "Dockerfile"
		}
		if !filepath.IsAbs(dockerfile) {
			dockerfile = filepath.Join(b.Context, dockerfile)
		}
		if _, err := os.Stat(dockerfile); err != nil {
			return fmt.Errorf("service %q: Dockerfile %s not found", name, dockerfile)
		}
	}
	return nil
}

func checkBindSources(p *types.Project) error {
	for _, name := range p.ServiceNames() {
		for _, v := range p.Services[name].Volumes {
			if v.Type != types.VolumeTypeBind {
				continue
			}
			if _, err := os.Stat(v.Source); err != nil {
				return fmt.Errorf("service %q: bind-mount source %s does not exist", name, v.Source)
			}
		}
	}
	return nil
}

// checkKafkaReplication: for every service that sets KAFKA_REPLICATION_FACTOR (the app's topic settings), each
// broker named in its KAFKA_BROKERS must be a service of this file whose defaults (KAFKA_DEFAULT_REPLICATION_FACTOR,
// KAFKA_MIN_INSYNC_REPLICAS) equal the app's, and the cluster (services sharing the broker's CLUSTER_ID) must have
// at least that many nodes; min.insync.replicas may not exceed the replication factor.
func checkKafkaReplication(p *types.Project) error {
	for _, name := range p.ServiceNames() {
		env := p.Services[name].Environment
		rf, set, err := intEnv(env, "KAFKA_REPLICATION_FACTOR")
		if err != nil || !set {
			if err != nil {
				return fmt.Errorf("service %q: %w", name, err)
			}
			continue
		}
		minISR, minSet, err := intEnv(env, "KAFKA_MIN_INSYNC_REPLICAS")
		if err != nil {
			return fmt.Errorf("service %q: %w", name, err)
		}
		if minSet && minISR > rf {
			return fmt.Errorf("service %q: KAFKA_MIN_INSYNC_REPLICAS %d exceeds KAFKA_REPLICATION_FACTOR %d", name, minISR, rf)
		}
		for _, address := range strings.Split(value(env, "KAFKA_BROKERS"), ",") {
			host := strings.TrimSpace(address)
			if i := strings.LastIndex(host, ":"); i >= 0 {
				host = host[:i]
			}
			broker, ok := p.Services[host]
			if !ok {
				return fmt.Errorf("service %q: KAFKA_BROKERS names %q, which is not a service of this file", name, host)
			}
			cluster := value(broker.Environment, "CLUSTER_ID")
			nodes := 0
			for _, other := range p.Services {
				if cluster != "" && value(other.Environment, "CLUSTER_ID") == cluster &&
					strings.Contains(value(other.Environment, "KAFKA_PROCESS_ROLES"), "broker") {
					nodes++
				}
			}
			if rf > nodes {
				return fmt.Errorf("service %q: KAFKA_REPLICATION_FACTOR %d, but broker %q's cluster has %d broker(s)", name, rf, host, nodes)
			}
			if got := value(broker.Environment, "KAFKA_DEFAULT_REPLICATION_FACTOR"); got != strconv.Itoa(rf) {
				return fmt.Errorf("service %q: KAFKA_REPLICATION_FACTOR %d, but broker %q's KAFKA_DEFAULT_REPLICATION_FACTOR is %q", name, rf, host, got)
			}
			if got := value(broker.Environment, "KAFKA_MIN_INSYNC_REPLICAS"); minSet && got != strconv.Itoa(minISR) {
				return fmt.Errorf("service %q: KAFKA_MIN_INSYNC_REPLICAS %d, but broker %q's is %q", name, minISR, host, got)
			}
		}
	}
	return nil
}

func value(env types.MappingWithEquals, key string) string {
	if v, ok := env[key]; ok && v != nil {
		return *v
	}
	return ""
}

func intEnv(env types.MappingWithEquals, key string) (int, bool, error) {
	raw := value(env, key)
	if raw == "" {
		return 0, false, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil {
		return 0, true, fmt.Errorf("%s=%q is not a whole number", key, raw)
	}
	return n, true, nil
}

func report(path string, p *types.Project) {
	fmt.Printf("%s: valid (project %q, %d services)\n", path, p.Name, len(p.Services))
	for _, name := range p.ServiceNames() { // sorted
		s := p.Services[name]
		image := s.Image
		if s.Build != nil {
			image += " (built)"
		}
		line := fmt.Sprintf("  %-9s %s", name, image)
		if len(s.Command) > 0 {
			line += fmt.Sprintf("  cmd=%s", strings.Join(s.Command, " "))
		}
		if deps := dependencies(s); deps != "" {
			line += "  after=" + deps
		}
		for _, port := range s.Ports {
			line += fmt.Sprintf("  port=%s:%d", port.Published, port.Target)
		}
		if s.HealthCheck != nil && !s.HealthCheck.Disable {
			line += "  healthcheck"
		}
		if len(s.Profiles) > 0 {
			line += "  profiles=" + strings.Join(s.Profiles, ",")
		}
		fmt.Println(line)
	}
	var volumes []string
	for name := range p.Volumes {
		volumes = append(volumes, name)
	}
	sort.Strings(volumes)
	fmt.Printf("  volumes: %s\n", strings.Join(volumes, ", "))
}

func dependencies(s types.ServiceConfig) string {
	var deps []string
	for name, dep := range s.DependsOn {
		deps = append(deps, name+"("+strings.TrimPrefix(dep.Condition, "service_")+")")
	}
	sort.Strings(deps)
	return strings.Join(deps, ",")
}

func fail(path string, err error) {
	msg := strings.ReplaceAll(strings.TrimSpace(err.Error()), "\n", "\n  ")
	fmt.Fprintf(os.Stderr, "compose-check: %s is INVALID:\n  %s\n", path, msg)
	// The schema library reports a key the specification does not allow at that place as "<path> false schema".
	if strings.Contains(msg, "false schema") {
		fmt.Fprintln(os.Stderr, "  hint: \"false schema\" = that key is not allowed there (typo, wrong nesting, or not in the Compose Specification)")
	}
	os.Exit(1)
}
