using System.Runtime.CompilerServices;

// The style guide's hot-assembly rule: locals are not zeroed on entry. Every stackalloc in this assembly is written
// before it is read (checked when this was added: the cmap value scratch is a copy target, the ring-seq file bytes
// are read only after a full read or written first, the IPv4 bytes are filled by TryWriteBytes or Write, the CPU
// mask is cleared), and every native struct local starts from `default` or an initializer.
[module: SkipLocalsInit]
