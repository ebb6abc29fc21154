# bench/gpu/device-env.sh: sourced by the bench/gpu scripts from the
# repository root on the accelerator machine. Unpacks the Vulkan loader
# carried in .gl/ (see /work/shared/device/README.md) where none is
# installed, and points the loader at the NVIDIA driver.
if [ -d .gl ] && ! ldconfig -p | grep -q libvulkan.so.1; then
  for f in .gl/*.deb; do dpkg -x "$f" /; done
  ldconfig
fi
export VK_DRIVER_FILES=${VK_DRIVER_FILES:-/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json}
export __EGL_VENDOR_LIBRARY_FILENAMES=${__EGL_VENDOR_LIBRARY_FILENAMES:-/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json}
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp/xdg}
mkdir -p -m 700 "$XDG_RUNTIME_DIR"
