using System.Collections.Immutable;
using System.Reflection;
using System.Reflection.Emit;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;

namespace Appliance.Architecture.Tests;

/// <summary>
/// Reads a compiled assembly's metadata (without loading it) and lists, for each of its top-level types, every type it
/// uses: base type and interfaces, field, method and local signatures, generic arguments, attributes, and every type,
/// method and field token in its method bodies. Nested types (closures, lambdas, state machines) count as their
/// outermost declaring type, so a lambda's uses are its method's uses.
/// </summary>
public static class TypeReferenceScanner
{
    /// <summary>Top-level type (namespace-qualified) → the namespace-qualified names of the types it uses.</summary>
    public static IReadOnlyDictionary<string, IReadOnlySet<string>> Scan(string assemblyPath)
    {
        using var pe = new PEReader(File.OpenRead(assemblyPath));
        var md = pe.GetMetadataReader();
        var provider = new NameProvider();
        var result = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var handle in md.TypeDefinitions)
        {
            var type = md.GetTypeDefinition(handle);
            var owner = NameProvider.OuterName(md, handle);
            if (!result.TryGetValue(owner, out var uses))
            {
                result[owner] = uses = new HashSet<string>(StringComparer.Ordinal);
            }
            if (!type.BaseType.IsNil)
            {
                uses.UnionWith(provider.OfToken(md, type.BaseType));
            }
            foreach (var i in type.GetInterfaceImplementations())
            {
                uses.UnionWith(provider.OfToken(md, md.GetInterfaceImplementation(i).Interface));
            }
            AddAttributes(md, provider, type.GetCustomAttributes(), uses);
            foreach (var f in type.GetFields())
            {
                var field = md.GetFieldDefinition(f);
                uses.UnionWith(field.DecodeSignature(provider, null));
                AddAttributes(md, provider, field.GetCustomAttributes(), uses);
            }
            foreach (var m in type.GetMethods())
            {
                var method = md.GetMethodDefinition(m);
                AddMethodSignature(method.DecodeSignature(provider, null), uses);
                AddAttributes(md, provider, method.GetCustomAttributes(), uses);
                if (method.RelativeVirtualAddress == 0)
                {
                    continue;
                }
                var body = pe.GetMethodBody(method.RelativeVirtualAddress);
                if (!body.LocalSignature.IsNil)
                {
                    foreach (var local in md.GetStandaloneSignature(body.LocalSignature).DecodeLocalSignature(provider, null))
                    {
                        uses.UnionWith(local);
                    }
                }
                foreach (var token in Tokens(body.GetILBytes()!))
                {
                    uses.UnionWith(provider.OfToken(md, MetadataTokens.EntityHandle(token)));
                }
            }
        }
        return result.ToDictionary(r => r.Key, r => (IReadOnlySet<string>)r.Value, StringComparer.Ordinal);
    }

    private static void AddMethodSignature(MethodSignature<IReadOnlyList<string>> signature, HashSet<string> uses)
    {
        uses.UnionWith(signature.ReturnType);
        foreach (var p in signature.ParameterTypes)
        {
            uses.UnionWith(p);
        }
    }

    private static void AddAttributes(MetadataReader md, NameProvider provider, CustomAttributeHandleCollection attributes, HashSet<string> uses)
    {
        foreach (var a in attributes)
        {
            uses.UnionWith(provider.OfToken(md, md.GetCustomAttribute(a).Constructor));
        }
    }

    // Operand sizes of every IL opcode, from the runtime's own table (ECMA-335 III).
    private static readonly Dictionary<short, OperandType> Operands = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(o => o.Value, o => o.OperandType);

    /// <summary>The metadata tokens the IL names (types, methods, fields; not strings or signatures).</summary>
    private static IEnumerable<int> Tokens(byte[] il)
    {
        var i = 0;
        while (i < il.Length)
        {
            short code = il[i++];
            if (code == 0xFE)
            {
                code = unchecked((short)(0xFE00 | il[i++]));
            }
            var operand = Operands[code];
            switch (operand)
            {
                case OperandType.InlineType or OperandType.InlineMethod or OperandType.InlineField or OperandType.InlineTok:
                    yield return BitConverter.ToInt32(il, i);
                    i += 4;
                    break;
                case OperandType.InlineSwitch:
                    i += 4 + (4 * BitConverter.ToInt32(il, i));
                    break;
                default:
                    i += operand switch
                    {
                        OperandType.InlineNone => 0,
                        OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
                        OperandType.InlineVar => 2,
                        OperandType.InlineI8 or OperandType.InlineR => 8,
                        _ => 4,
                    };
                    break;
            }
        }
    }

    /// <summary>Decodes signatures into the namespace-qualified names of the types in them.</summary>
    private sealed class NameProvider : ISignatureTypeProvider<IReadOnlyList<string>, object?>
    {
        private static readonly IReadOnlyList<string> None = [];

        public IReadOnlyList<string> OfToken(MetadataReader md, EntityHandle handle)
        {
            switch (handle.Kind)
            {
                case HandleKind.TypeDefinition:
                    return [OuterName(md, (TypeDefinitionHandle)handle)];
                case HandleKind.TypeReference:
                    return [ReferenceName(md, (TypeReferenceHandle)handle)];
                case HandleKind.TypeSpecification:
                    return md.GetTypeSpecification((TypeSpecificationHandle)handle).DecodeSignature(this, null);
                case HandleKind.FieldDefinition:
                {
                    var field = md.GetFieldDefinition((FieldDefinitionHandle)handle);
                    return [.. OfToken(md, field.GetDeclaringType()), .. field.DecodeSignature(this, null)];
                }
                case HandleKind.MethodDefinition:
                {
                    var method = md.GetMethodDefinition((MethodDefinitionHandle)handle);
                    var signature = method.DecodeSignature(this, null);
                    return [.. OfToken(md, method.GetDeclaringType()), .. signature.ReturnType, .. signature.ParameterTypes.SelectMany(p => p)];
                }
                case HandleKind.MemberReference:
                {
                    var member = md.GetMemberReference((MemberReferenceHandle)handle);
                    var parent = member.Parent.Kind is HandleKind.TypeDefinition or HandleKind.TypeReference or HandleKind.TypeSpecification or HandleKind.MethodDefinition
                        ? OfToken(md, (EntityHandle)member.Parent)
                        : None;
                    if (member.GetKind() == MemberReferenceKind.Field)
                    {
                        return [.. parent, .. member.DecodeFieldSignature(this, null)];
                    }
                    var signature = member.DecodeMethodSignature(this, null);
                    return [.. parent, .. signature.ReturnType, .. signature.ParameterTypes.SelectMany(p => p)];
                }
                case HandleKind.MethodSpecification:
                {
                    var spec = md.GetMethodSpecification((MethodSpecificationHandle)handle);
                    return [.. OfToken(md, spec.Method), .. spec.DecodeSignature(this, null).SelectMany(a => a)];
                }
                default:
                    return None;
            }
        }

        /// <summary>The name of the outermost type declaring <paramref name="handle"/> (itself when it is not nested).</summary>
        public static string OuterName(MetadataReader md, TypeDefinitionHandle handle)
        {
            var type = md.GetTypeDefinition(handle);
            while (type.GetDeclaringType() is { IsNil: false } outer)
            {
                type = md.GetTypeDefinition(outer);
            }
            var ns = md.GetString(type.Namespace);
            var name = md.GetString(type.Name);
            return ns.Length == 0 ? name : ns + "." + name;
        }

        private static string ReferenceName(MetadataReader md, TypeReferenceHandle handle)
        {
            var type = md.GetTypeReference(handle);
            while (type.ResolutionScope.Kind == HandleKind.TypeReference)
            {
                type = md.GetTypeReference((TypeReferenceHandle)type.ResolutionScope);
            }
            var ns = md.GetString(type.Namespace);
            var name = md.GetString(type.Name);
            return ns.Length == 0 ? name : ns + "." + name;
        }

        public IReadOnlyList<string> GetPrimitiveType(PrimitiveTypeCode typeCode) => None;
        public IReadOnlyList<string> GetTypeFromDefinition(MetadataReader reader, TypeDefinitionHandle handle, byte rawTypeKind) => [OuterName(reader, handle)];
        public IReadOnlyList<string> GetTypeFromReference(MetadataReader reader, TypeReferenceHandle handle, byte rawTypeKind) => [ReferenceName(reader, handle)];
        public IReadOnlyList<string> GetTypeFromSpecification(MetadataReader reader, object? genericContext, TypeSpecificationHandle handle, byte rawTypeKind) =>
            reader.GetTypeSpecification(handle).DecodeSignature(this, genericContext);
        public IReadOnlyList<string> GetSZArrayType(IReadOnlyList<string> elementType) => elementType;
        public IReadOnlyList<string> GetArrayType(IReadOnlyList<string> elementType, ArrayShape shape) => elementType;
        public IReadOnlyList<string> GetByReferenceType(IReadOnlyList<string> elementType) => elementType;
        public IReadOnlyList<string> GetPointerType(IReadOnlyList<string> elementType) => elementType;
        public IReadOnlyList<string> GetPinnedType(IReadOnlyList<string> elementType) => elementType;
        public IReadOnlyList<string> GetGenericInstantiation(IReadOnlyList<string> genericType, ImmutableArray<IReadOnlyList<string>> typeArguments) =>
            [.. genericType, .. typeArguments.SelectMany(a => a)];
        public IReadOnlyList<string> GetGenericMethodParameter(object? genericContext, int index) => None;
        public IReadOnlyList<string> GetGenericTypeParameter(object? genericContext, int index) => None;
        public IReadOnlyList<string> GetFunctionPointerType(MethodSignature<IReadOnlyList<string>> signature) =>
            [.. signature.ReturnType, .. signature.ParameterTypes.SelectMany(p => p)];
        public IReadOnlyList<string> GetModifiedType(IReadOnlyList<string> modifier, IReadOnlyList<string> unmodifiedType, bool isRequired) => unmodifiedType;
    }
}
