package org.flowrt.glow;

import java.util.List;
import org.flowrt.backend.DeviceBuffer;

/**
 * A batch's latent representation: the factored-out halves z2 of levels 0..L−2 and the top z.
 * Together they hold exactly D numbers per image. Owns its buffers.
 */
public record Latents(List<DeviceBuffer> splits, DeviceBuffer top, int batch) implements AutoCloseable {
  @Override
  public void close() {
    splits.forEach(DeviceBuffer::close);
    top.close();
  }
}
