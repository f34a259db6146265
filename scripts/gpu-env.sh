#!/bin/sh
# Run a command with WebGPU available to Node through Dawn (the `webgpu`
# package) on SwiftShader, the CPU Vulkan driver Chromium ships:
#   LD_LIBRARY_PATH  gains the directory holding Chromium's libvulkan.so.1
#   VK_ICD_FILENAMES points at vk_swiftshader_icd.json (unless already set,
#                    so a real GPU's ICD can be chosen by hand)
# Both are read by the dynamic loader when Dawn starts, so they must be set
# before node starts, hence a wrapper rather than code in the tests.
#
#   sh scripts/gpu-env.sh vitest run
set -eu

# Print the first of Chromium's directories that holds $1: next to
# CHROMIUM_PATH's binary first, then Debian's, Chrome's and a manual install.
find_in_chromium() {
  if [ -n "${CHROMIUM_PATH:-}" ]; then
    d=$(dirname "$(readlink -f "$CHROMIUM_PATH")")
    if [ -e "$d/$1" ]; then echo "$d"; return 0; fi
  fi
  for d in /usr/lib/chromium /opt/google/chrome /opt/chromium; do
    if [ -e "$d/$1" ]; then echo "$d"; return 0; fi
  done
  return 1
}

if d=$(find_in_chromium libvulkan.so.1); then
  LD_LIBRARY_PATH="$d${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  export LD_LIBRARY_PATH
fi

if [ -z "${VK_ICD_FILENAMES:-}" ]; then
  if d=$(find_in_chromium vk_swiftshader_icd.json); then
    VK_ICD_FILENAMES="$d/vk_swiftshader_icd.json"
    export VK_ICD_FILENAMES
  else
    echo "gpu-env: no vk_swiftshader_icd.json next to Chromium; Node GPU tests get whatever" >&2
    echo "  Vulkan driver the system has, if any. Install Debian's chromium to get SwiftShader:" >&2
    echo "  sudo apt-get install chromium" >&2
  fi
fi

exec "$@"
