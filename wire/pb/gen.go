// Package pb holds the generated Go types of Magnetar's Pulsar protocol
// definition (pulsar.proto). Edit the .proto, never the generated file.
package pb

//go:generate sh -c "cd ../.. && protoc --go_out=. --go_opt=paths=source_relative wire/pb/pulsar.proto"
