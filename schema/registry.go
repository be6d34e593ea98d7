package schema

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/magnetar/magnetar/metadata"
)

// ErrDeleted is the ErrNotFound of a topic whose schema was deleted (REST: "Schema is
// deleted" rather than "Schema not found").
var ErrDeleted = fmt.Errorf("%w: schema is deleted", ErrNotFound)

// Policy is a topic's effective schema policy, resolved by the caller from topic and
// namespace policies (schema_compatibility_strategy, schema_validation_enforced,
// is_allow_auto_update_schema).
type Policy struct {
	Strategy Strategy
	// ValidationEnforced refuses producers without a schema on topics that have one.
	ValidationEnforced bool
	// AutoUpdateDisabled (is_allow_auto_update_schema=false) lets producers use only
	// schemas already registered; new ones come through the admin API.
	AutoUpdateDisabled bool
}

// Registry stores and checks topics' schemas in a metadata store. It keeps no state of its
// own, so any number of brokers may share one store.
type Registry struct {
	store metadata.Store
	now   func() time.Time
}

// New returns a registry over store.
func New(store metadata.Store) *Registry {
	return &Registry{store: store, now: time.Now}
}

// GetLatest returns the topic's newest schema, or ErrNotFound (ErrDeleted if it was
// deleted).
func (r *Registry) GetLatest(ctx context.Context, topic string) (Versioned, error) {
	id, rec, err := r.read(ctx, topic)
	if err != nil {
		return Versioned{}, err
	}
	if rec.deleted() {
		return Versioned{}, fmt.Errorf("topic %s: %w", id, ErrDeleted)
	}
	live := rec.live()
	if len(live) == 0 {
		return Versioned{}, fmt.Errorf("topic %s: %w", id, ErrNotFound)
	}
	return live[len(live)-1].versioned(), nil
}

// GetByVersion returns one version; versions from before the last delete are gone
// (ErrNotFound), as in Pulsar.
func (r *Registry) GetByVersion(ctx context.Context, topic string, version int64) (Versioned, error) {
	id, rec, err := r.read(ctx, topic)
	if err != nil {
		return Versioned{}, err
	}
	for _, e := range rec.live() {
		if e.Version == version {
			return e.versioned(), nil
		}
	}
	return Versioned{}, fmt.Errorf("topic %s version %d: %w", id, version, ErrNotFound)
}

// AllVersions returns the versions since the last delete, oldest first; empty if none.
func (r *Registry) AllVersions(ctx context.Context, topic string) ([]Versioned, error) {
	_, rec, err := r.read(ctx, topic)
	if err != nil {
		return nil, err
	}
	live := rec.live()
	out := make([]Versioned, len(live))
	for i, e := range live {
		out[i] = e.versioned()
	}
	return out, nil
}

// Delete removes the topic's schema. A soft delete (Pulsar's default) leaves a tombstone
// that takes the next version number, so later schemas keep counting up and are not
// checked against the deleted ones; it returns the tombstone's version. force erases the
// topic's schema history entirely (versions start again at 0) and returns the last version
// there was. Deleting what is not there returns NoVersion.
func (r *Registry) Delete(ctx context.Context, topic string, force bool) (int64, error) {
	id, err := ParseTopic(topic)
	if err != nil {
		return NoVersion, err
	}
	if force {
		rec, _, err := r.load(ctx, id)
		if err != nil {
			return NoVersion, err
		}
		err = r.store.Delete(ctx, id.key(), metadata.AnyVersion)
		if err != nil && !errors.Is(err, metadata.ErrNotFound) {
			return NoVersion, fmt.Errorf("schema: delete %s: %w", id, err)
		}
		return rec.next() - 1, nil
	}
	version := NoVersion
	err = r.update(ctx, id, func(rec *record) (bool, error) {
		if len(rec.Versions) == 0 {
			return false, nil
		}
		if rec.deleted() {
			version = rec.Versions[len(rec.Versions)-1].Version
			return false, nil
		}
		version = rec.next()
		rec.Versions = []entry{{Version: version, Deleted: true, Timestamp: r.now().UnixMilli()}}
		return true, nil
	})
	return version, err
}

// AddOrGet is Register with AutoUpdateDisabled false: the producer path of the broker.
func (r *Registry) AddOrGet(ctx context.Context, topic string, info SchemaInfo, strategy Strategy, validationEnforced bool) (int64, error) {
	return r.Register(ctx, topic, info, Policy{Strategy: strategy, ValidationEnforced: validationEnforced})
}

// Register returns the version of info on the topic, registering it if it is new: the
// existing version if an identical schema is there (since the last delete), otherwise a new
// version once the policy's compatibility checks pass. It serves producers
// (CommandProducer.schema, CommandGetOrCreateSchema) and REST uploads.
//
// A producer without a schema (type NONE or BYTES) gets NoVersion, or ErrIncompatible if
// the topic has a schema and validation is enforced. AUTO_PUBLISH gets the topic's latest
// version (NoVersion if none) and registers nothing; AUTO_CONSUME is not a producer's type
// (ErrInvalidSchema).
func (r *Registry) Register(ctx context.Context, topic string, info SchemaInfo, p Policy) (int64, error) {
	id, err := ParseTopic(topic)
	if err != nil {
		return NoVersion, err
	}
	if info.Type == AutoPublish || info.Type.carriesNoSchema() {
		return r.schemaless(ctx, id, info.Type, p)
	}
	if err := Validate(info); err != nil {
		return NoVersion, err
	}
	version := NoVersion
	err = r.update(ctx, id, func(rec *record) (bool, error) {
		live := rec.live()
		for _, e := range live {
			if sameSchema(e.versioned().SchemaInfo, info) {
				version = e.Version
				return false, nil
			}
		}
		if p.AutoUpdateDisabled {
			return false, incompatible("Schema not found and schema auto updating is disabled.")
		}
		if err := checkCompatible(infos(live), info, p.Strategy); err != nil {
			return false, err
		}
		version = rec.next()
		rec.Versions = append(rec.Versions, entry{
			Version: version, Name: info.Name, Type: info.Type, Data: info.Data,
			Properties: info.Properties, Timestamp: r.now().UnixMilli(),
		})
		return true, nil
	})
	if err != nil {
		return NoVersion, err
	}
	return version, nil
}

// schemaless serves producers that bring no schema of their own.
func (r *Registry) schemaless(ctx context.Context, id TopicID, t Type, p Policy) (int64, error) {
	rec, _, err := r.load(ctx, id)
	if err != nil {
		return NoVersion, err
	}
	live := rec.live()
	if len(live) == 0 {
		return NoVersion, nil
	}
	if t == AutoPublish {
		return live[len(live)-1].Version, nil
	}
	if p.ValidationEnforced {
		return NoVersion, incompatible("Producers cannot connect or send message without a schema to topics with a schema")
	}
	return NoVersion, nil
}

// CheckCompatibility reports whether info could be registered under strategy (nil) or why
// not (ErrIncompatible, ErrInvalidSchema). A topic without a schema accepts anything.
func (r *Registry) CheckCompatibility(ctx context.Context, topic string, info SchemaInfo, strategy Strategy) error {
	if err := Validate(info); err != nil {
		return err
	}
	_, rec, err := r.read(ctx, topic)
	if err != nil {
		return err
	}
	return checkCompatible(infos(rec.live()), info, strategy)
}

// IsCompatibleForConsumer decides whether a consumer subscribing with info may read the
// topic. Consumers without a schema and AUTO_CONSUME consumers always may. Otherwise the
// topic must have a schema (else ErrNotFound: the broker registers the consumer's schema
// instead when the topic is idle, as Pulsar's addSchemaIfIdleOrCheckCompatible does) and
// the consumer's schema must read it (ErrIncompatible).
func (r *Registry) IsCompatibleForConsumer(ctx context.Context, topic string, info SchemaInfo, strategy Strategy) error {
	if info.Type == AutoConsume || info.Type.carriesNoSchema() || strategy.Effective() == AlwaysCompatible {
		return nil
	}
	if err := Validate(info); err != nil {
		return err
	}
	id, rec, err := r.read(ctx, topic)
	if err != nil {
		return err
	}
	live := rec.live()
	if len(live) == 0 {
		return fmt.Errorf("topic %s: %w: Topic does not have schema to check", id, ErrNotFound)
	}
	return checkConsumer(infos(live), info, strategy)
}

// FindVersion returns the version of a schema identical to info since the last delete, or
// ErrNotFound.
func (r *Registry) FindVersion(ctx context.Context, topic string, info SchemaInfo) (int64, error) {
	if err := Validate(info); err != nil {
		return NoVersion, err
	}
	id, rec, err := r.read(ctx, topic)
	if err != nil {
		return NoVersion, err
	}
	for _, e := range rec.live() {
		if sameSchema(e.versioned().SchemaInfo, info) {
			return e.Version, nil
		}
	}
	return NoVersion, fmt.Errorf("topic %s: %w", id, ErrNotFound)
}

func (r *Registry) read(ctx context.Context, topic string) (TopicID, record, error) {
	id, err := ParseTopic(topic)
	if err != nil {
		return id, record{}, err
	}
	rec, _, err := r.load(ctx, id)
	return id, rec, err
}
