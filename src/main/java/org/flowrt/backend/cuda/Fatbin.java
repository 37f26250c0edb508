package org.flowrt.backend.cuda;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * The nvcc-built fatbin of cuda/all.cu, shipped in the jar at {@link #RESOURCE} when nvcc was
 * present at build time, and a reader of its entry table (which GPU architectures it holds code
 * for). The layout read here is the fatbin container nvcc writes: a 16-byte header (magic
 * 0xBA55ED50, version, header size, payload size) followed by entries, each with a kind (1 = PTX,
 * 2 = ELF/SASS), its header and payload sizes, and the target SM version at byte 28.
 */
public final class Fatbin {
  public static final String RESOURCE = "/org/flowrt/kernels/flowrt.fatbin";
  private static final int MAGIC = 0xBA55ED50;

  /** One code object in the fatbin. */
  public record Entry(Kind kind, int smVersion) {
    @Override
    public String toString() {
      return (kind == Kind.PTX ? "compute_" : "sm_") + smVersion;
    }
  }

  public enum Kind {
    PTX,
    SASS
  }

  private Fatbin() {}

  /** The fatbin bytes from the jar, or null when this build has none. */
  public static byte[] load() {
    try (InputStream in = Fatbin.class.getResourceAsStream(RESOURCE)) {
      return in == null ? null : in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException("reading " + RESOURCE, e);
    }
  }

  /** The code objects in a fatbin; throws if the bytes are not a fatbin. */
  public static List<Entry> entries(byte[] fatbin) {
    ByteBuffer b = ByteBuffer.wrap(fatbin).order(ByteOrder.LITTLE_ENDIAN);
    List<Entry> out = new ArrayList<>();
    int offset = 0;
    while (offset + 16 <= fatbin.length && b.getInt(offset) == MAGIC) {
      int headerSize = Short.toUnsignedInt(b.getShort(offset + 6));
      long payload = b.getLong(offset + 8);
      int entry = offset + headerSize;
      long end = entry + payload;
      while (entry + 32 <= end) {
        int kind = Short.toUnsignedInt(b.getShort(entry));
        int entryHeader = b.getInt(entry + 4);
        long entryPayload = b.getLong(entry + 8);
        int sm = b.getInt(entry + 28);
        if (kind == 1) out.add(new Entry(Kind.PTX, sm));
        else if (kind == 2) out.add(new Entry(Kind.SASS, sm));
        else throw new IllegalArgumentException("unknown fatbin entry kind " + kind + " at byte " + entry);
        entry += entryHeader + (int) entryPayload;
      }
      offset = (int) end;
    }
    if (out.isEmpty()) throw new IllegalArgumentException("not a CUDA fatbin (no 0xBA55ED50 header with entries)");
    return out;
  }
}
