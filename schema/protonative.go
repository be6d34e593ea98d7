package schema

import (
	"encoding/json"
	"fmt"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"
)

// protoNativeData is a PROTOBUF_NATIVE schema definition as clients send it: a serialised
// FileDescriptorSet (base64 in JSON) and the root message's full name.
type protoNativeData struct {
	FileDescriptorSet      []byte `json:"fileDescriptorSet"`
	RootMessageTypeName    string `json:"rootMessageTypeName"`
	RootFileDescriptorName string `json:"rootFileDescriptorName"`
}

// protoNativeRoot parses a PROTOBUF_NATIVE definition, builds its descriptors and returns
// the root message's full name.
func protoNativeRoot(data []byte) (string, error) {
	var d protoNativeData
	if err := json.Unmarshal(data, &d); err != nil {
		return "", fmt.Errorf("definition is not ProtobufNativeSchemaData JSON: %w", err)
	}
	var set descriptorpb.FileDescriptorSet
	if err := proto.Unmarshal(d.FileDescriptorSet, &set); err != nil {
		return "", fmt.Errorf("fileDescriptorSet: %w", err)
	}
	files, err := protodesc.NewFiles(&set)
	if err != nil {
		return "", fmt.Errorf("fileDescriptorSet: %w", err)
	}
	desc, err := files.FindDescriptorByName(protoreflect.FullName(d.RootMessageTypeName))
	if err != nil {
		return "", fmt.Errorf("root message %q: %w", d.RootMessageTypeName, err)
	}
	if _, ok := desc.(protoreflect.MessageDescriptor); !ok {
		return "", fmt.Errorf("root %q is not a message", d.RootMessageTypeName)
	}
	return d.RootMessageTypeName, nil
}

// checkProtoNative is Pulsar's default PROTOBUF_NATIVE check: under every strategy but
// ALWAYS_COMPATIBLE the root message must keep its full name; field-level evolution is not
// checked. ALWAYS_INCOMPATIBLE (and anything else) is refused as Pulsar does.
func checkProtoNative(existing []SchemaInfo, next SchemaInfo, s Strategy) error {
	if s == AlwaysCompatible || len(existing) == 0 {
		return nil
	}
	if a, b := s.directions(); !a && !b {
		return incompatible("Unknown SchemaCompatibilityStrategy.")
	}
	nextRoot, err := protoNativeRoot(next.Data)
	if err != nil {
		return incompatible("Invalid ProtobufNative schema: " + err.Error())
	}
	for _, old := range existing {
		oldRoot, err := protoNativeRoot(old.Data)
		if err != nil {
			return incompatible("Invalid ProtobufNative schema: " + err.Error())
		}
		if oldRoot != nextRoot {
			return incompatible("Protobuf root message isn't allow change!")
		}
	}
	return nil
}

// sameProtoNative reports whether two PROTOBUF_NATIVE definitions have the same root
// message and the same files, in any order.
func sameProtoNative(a, b []byte) bool {
	rootA, filesA, errA := protoNativeFiles(a)
	rootB, filesB, errB := protoNativeFiles(b)
	if errA != nil || errB != nil || rootA != rootB || len(filesA) != len(filesB) {
		return false
	}
	for name, fa := range filesA {
		if fb, ok := filesB[name]; !ok || !proto.Equal(fa, fb) {
			return false
		}
	}
	return true
}

func protoNativeFiles(data []byte) (string, map[string]*descriptorpb.FileDescriptorProto, error) {
	var d protoNativeData
	if err := json.Unmarshal(data, &d); err != nil {
		return "", nil, err
	}
	var set descriptorpb.FileDescriptorSet
	if err := proto.Unmarshal(d.FileDescriptorSet, &set); err != nil {
		return "", nil, err
	}
	files := make(map[string]*descriptorpb.FileDescriptorProto, len(set.File))
	for _, f := range set.File {
		files[f.GetName()] = f
	}
	return d.RootMessageTypeName, files, nil
}
