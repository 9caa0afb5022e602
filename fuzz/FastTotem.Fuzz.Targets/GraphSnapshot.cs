using System.Collections.Concurrent;
using System.Reflection;
using System.Reflection.Emit;
using System.Runtime.CompilerServices;

namespace FastTotem.Fuzz;

/// <summary>
/// A snapshot of every managed object reachable from a root, restored in place: each object gets back the field
/// values it had when the snapshot was taken, each array its elements. The objects keep their identity, so whatever
/// pointed at them (the machines, their stores, the fuzz ring's queue) points at the restored state, and an object
/// created after the snapshot is simply no longer referenced. This is how the node targets reset three whole node
/// stacks to a prepared SRP state per input instead of building them again: the protocol core keeps all its state in
/// managed objects (no native memory, no mutable statics), so restoring them is restoring the machine.
/// Taking a snapshot walks the graph by reflection once; a restore is one field-copy delegate call per object and
/// one <see cref="Array.Copy(Array, Array, int)"/> per array, with no allocation.
/// </summary>
public sealed class GraphSnapshot
{
    private static readonly ConcurrentDictionary<Type, FieldCopier> Copiers = new();
    private static readonly ConcurrentDictionary<Type, FieldInfo[]> FieldsByType = new();
    private static readonly Func<object, object> ShallowClone =
        typeof(object).GetMethod("MemberwiseClone", BindingFlags.Instance | BindingFlags.NonPublic)!
            .CreateDelegate<Func<object, object>>();

    private readonly (object Live, object Saved, FieldCopier Copy)[] _objects;
    private readonly (Array Live, Array Saved)[] _arrays;

    private delegate void FieldCopier(object from, object to);

    private GraphSnapshot((object, object, FieldCopier)[] objects, (Array, Array)[] arrays)
    {
        _objects = objects;
        _arrays = arrays;
    }

    /// <summary>Objects (not arrays) in the snapshot.</summary>
    public int ObjectCount => _objects.Length;

    /// <summary>Arrays in the snapshot.</summary>
    public int ArrayCount => _arrays.Length;

    /// <summary>Bytes of array elements a restore copies.</summary>
    public long ArrayBytes { get; private init; }

    /// <summary>The largest arrays and the field path that reached them first (for sizing the fuzz rings).</summary>
    public string LargestArrays { get; private init; } = "";

    /// <summary>Snapshots everything reachable from <paramref name="root"/>.</summary>
    public static GraphSnapshot Take(object root)
    {
        var seen = new HashSet<object>(ReferenceEqualityComparer.Instance);
        var pending = new Stack<object>();
        var paths = new Dictionary<object, string>(ReferenceEqualityComparer.Instance) { [root] = root.GetType().Name };
        string currentPath = "";
        var objects = new List<(object, object, FieldCopier)>();
        var arrays = new List<(Array, Array)>();
        long arrayBytes = 0;
        var largest = new List<(long, string)>();
        Visit(root);
        while (pending.Count > 0)
        {
            object live = pending.Pop();
            Type type = live.GetType();
            currentPath = paths[live];
            if (live is Array array)
            {
                arrays.Add((array, (Array)array.Clone()));
                Type element = type.GetElementType()!;
                long bytes = (long)array.Length * (element.IsValueType ? Math.Max(1, SizeOf(element)) : IntPtr.Size);
                arrayBytes += bytes;
                largest.Add((bytes, currentPath));
                if (!element.IsValueType || HoldsReferences(element))
                {
                    foreach (object? item in array)
                    {
                        VisitValue(item);
                    }
                }

                continue;
            }

            objects.Add((live, ShallowClone(live), Copiers.GetOrAdd(type, BuildCopier)));
            foreach (FieldInfo field in InstanceFields(type))
            {
                if (!field.FieldType.IsValueType || HoldsReferences(field.FieldType))
                {
                    string parent = currentPath;
                    currentPath = parent + "." + field.Name;
                    VisitValue(field.GetValue(live));
                    currentPath = parent;
                }
            }
        }

        largest.Sort((a, b) => b.Item1.CompareTo(a.Item1));
        return new GraphSnapshot(objects.ToArray(), arrays.ToArray())
        {
            ArrayBytes = arrayBytes,
            LargestArrays = string.Join("\n", largest.Take(60).Select(a => $"  {a.Item1,10} {a.Item2}")),
        };

        void VisitValue(object? value)
        {
            if (value is null)
            {
                return;
            }

            Type type = value.GetType();
            if (type.IsValueType)
            {
                // A boxed copy of a struct field or element: its own reference fields lead on.
                foreach (FieldInfo field in InstanceFields(type))
                {
                    if (!field.FieldType.IsValueType || HoldsReferences(field.FieldType))
                    {
                        VisitValue(field.GetValue(value));
                    }
                }

                return;
            }

            Visit(value);
        }

        void Visit(object value)
        {
            if (value is string || value is Type || value is Pointer || value is MemberInfo || value is Assembly)
            {
                return; // immutable, or runtime metadata
            }

            if (value is Delegate d)
            {
                // A delegate never changes; what it closes over may.
                if (d.Target is not null)
                {
                    Visit(d.Target);
                }

                return;
            }

            if (value is Thread || value is System.Runtime.InteropServices.SafeHandle || value is WaitHandle)
            {
                throw new NotSupportedException($"GraphSnapshot cannot restore a {value.GetType()}: it is not plain managed state");
            }

            if (seen.Add(value))
            {
                paths[value] = currentPath;
                pending.Push(value);
            }
        }
    }

    /// <summary>Puts every object and array back to the state it had when the snapshot was taken.</summary>
    public void Restore()
    {
        foreach ((object live, object saved, FieldCopier copy) in _objects)
        {
            copy(saved, live);
        }

        foreach ((Array live, Array saved) in _arrays)
        {
            Array.Copy(saved, live, saved.Length);
        }
    }

    private static FieldInfo[] InstanceFields(Type type) => FieldsByType.GetOrAdd(type, static t =>
    {
        var fields = new List<FieldInfo>();
        for (Type? c = t; c is not null && c != typeof(object); c = c.BaseType)
        {
            fields.AddRange(c.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly));
        }

        return fields.ToArray();
    });

    private static bool HoldsReferences(Type valueType) =>
        (bool)typeof(RuntimeHelpers).GetMethod(nameof(RuntimeHelpers.IsReferenceOrContainsReferences))!
            .MakeGenericMethod(valueType).Invoke(null, null)!;

    private static int SizeOf(Type valueType) =>
        (int)typeof(Unsafe).GetMethod(nameof(Unsafe.SizeOf))!.MakeGenericMethod(valueType).Invoke(null, null)!;

    /// <summary>(from, to) => every instance field of to = the same field of from, readonly ones included.</summary>
    private static FieldCopier BuildCopier(Type type)
    {
        var method = new DynamicMethod("Copy_" + type.Name, null, [typeof(object), typeof(object)], typeof(GraphSnapshot).Module, skipVisibility: true);
        ILGenerator il = method.GetILGenerator();
        LocalBuilder from = il.DeclareLocal(type);
        LocalBuilder to = il.DeclareLocal(type);
        il.Emit(OpCodes.Ldarg_0);
        il.Emit(OpCodes.Castclass, type);
        il.Emit(OpCodes.Stloc, from);
        il.Emit(OpCodes.Ldarg_1);
        il.Emit(OpCodes.Castclass, type);
        il.Emit(OpCodes.Stloc, to);
        foreach (FieldInfo field in InstanceFields(type))
        {
            il.Emit(OpCodes.Ldloc, to);
            il.Emit(OpCodes.Ldloc, from);
            il.Emit(OpCodes.Ldfld, field);
            il.Emit(OpCodes.Stfld, field);
        }

        il.Emit(OpCodes.Ret);
        return method.CreateDelegate<FieldCopier>();
    }
}
