// coopmat_probe: what cooperative-matrix (tensor-core) shapes a Vulkan
// device offers, one JSON line per configuration.
//
// Issue 14's d = 64 rows ask for 3x torch.compile, which in float32
// without tensor cores needs about two thirds of the FP32 FMA peak (see
// the README's speed section). WGSL reaches tensor cores only through
// wgpu's experimental cooperative-matrix extension
// (Features::EXPERIMENTAL_COOPERATIVE_MATRIX, gfx-rs/wgpu#8251), and
// wgpu-native v29's wgpu.h says it "currently only supports 8x8 f32
// matrices" and, on Vulkan, is offered only where
// vkGetPhysicalDeviceCooperativeMatrixPropertiesKHR lists an 8x8x8 f32
// configuration. This probe asks the driver that question directly, so
// the claim rests on a measurement of the machine rather than on a
// reading of headers. Built and run by bench/gpu/coopmat_probe.sh.
//
// Build: cc -O2 -o coopmat_probe coopmat_probe.c -lvulkan
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vulkan/vulkan.h>

// VK_KHR_cooperative_matrix arrived in Vulkan headers 1.3.255; Debian 12's
// are 1.3.239, so its types are spelled out here from the specification.
#ifndef VK_KHR_cooperative_matrix
#define VK_KHR_COOPERATIVE_MATRIX_EXTENSION_NAME "VK_KHR_cooperative_matrix"
#define VK_STRUCTURE_TYPE_COOPERATIVE_MATRIX_PROPERTIES_KHR ((VkStructureType)1000506001)
typedef enum VkComponentTypeKHR {
	VK_COMPONENT_TYPE_FLOAT16_KHR = 0,
	VK_COMPONENT_TYPE_FLOAT32_KHR = 1,
	VK_COMPONENT_TYPE_FLOAT64_KHR = 2,
	VK_COMPONENT_TYPE_SINT8_KHR = 3,
	VK_COMPONENT_TYPE_SINT16_KHR = 4,
	VK_COMPONENT_TYPE_SINT32_KHR = 5,
	VK_COMPONENT_TYPE_SINT64_KHR = 6,
	VK_COMPONENT_TYPE_UINT8_KHR = 7,
	VK_COMPONENT_TYPE_UINT16_KHR = 8,
	VK_COMPONENT_TYPE_UINT32_KHR = 9,
	VK_COMPONENT_TYPE_UINT64_KHR = 10,
	VK_COMPONENT_TYPE_BFLOAT16_KHR = 1000141000,
	VK_COMPONENT_TYPE_MAX_ENUM_KHR = 0x7FFFFFFF
} VkComponentTypeKHR;
typedef struct VkCooperativeMatrixPropertiesKHR {
	VkStructureType sType;
	void *pNext;
	uint32_t MSize;
	uint32_t NSize;
	uint32_t KSize;
	VkComponentTypeKHR AType;
	VkComponentTypeKHR BType;
	VkComponentTypeKHR CType;
	VkComponentTypeKHR ResultType;
	VkBool32 saturatingAccumulation;
	VkScopeNV scope;
} VkCooperativeMatrixPropertiesKHR;
typedef VkResult(VKAPI_PTR *PFN_vkGetPhysicalDeviceCooperativeMatrixPropertiesKHR)(
    VkPhysicalDevice, uint32_t *, VkCooperativeMatrixPropertiesKHR *);
#endif

static const char *component(VkComponentTypeKHR t) {
	switch (t) {
	case VK_COMPONENT_TYPE_FLOAT16_KHR: return "f16";
	case VK_COMPONENT_TYPE_FLOAT32_KHR: return "f32";
	case VK_COMPONENT_TYPE_FLOAT64_KHR: return "f64";
	case VK_COMPONENT_TYPE_SINT8_KHR: return "i8";
	case VK_COMPONENT_TYPE_SINT16_KHR: return "i16";
	case VK_COMPONENT_TYPE_SINT32_KHR: return "i32";
	case VK_COMPONENT_TYPE_SINT64_KHR: return "i64";
	case VK_COMPONENT_TYPE_UINT8_KHR: return "u8";
	case VK_COMPONENT_TYPE_UINT16_KHR: return "u16";
	case VK_COMPONENT_TYPE_UINT32_KHR: return "u32";
	case VK_COMPONENT_TYPE_UINT64_KHR: return "u64";
	case VK_COMPONENT_TYPE_BFLOAT16_KHR: return "bf16";
	default: return NULL;
	}
}

static int has_extension(VkPhysicalDevice pd, const char *name) {
	uint32_t n = 0;
	if (vkEnumerateDeviceExtensionProperties(pd, NULL, &n, NULL) != VK_SUCCESS)
		return 0;
	VkExtensionProperties *ext = calloc(n, sizeof *ext);
	if (!ext)
		return 0;
	int found = 0;
	if (vkEnumerateDeviceExtensionProperties(pd, NULL, &n, ext) == VK_SUCCESS)
		for (uint32_t i = 0; i < n && !found; i++)
			found = strcmp(ext[i].extensionName, name) == 0;
	free(ext);
	return found;
}

int main(void) {
	VkApplicationInfo app = {.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
	                         .pApplicationName = "coopmat_probe",
	                         .apiVersion = VK_API_VERSION_1_1};
	VkInstanceCreateInfo ici = {.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
	                            .pApplicationInfo = &app};
	VkInstance inst;
	VkResult r = vkCreateInstance(&ici, NULL, &inst);
	if (r != VK_SUCCESS) {
		fprintf(stderr, "coopmat_probe: vkCreateInstance: %d\n", r);
		return 1;
	}
	PFN_vkGetPhysicalDeviceCooperativeMatrixPropertiesKHR props =
	    (PFN_vkGetPhysicalDeviceCooperativeMatrixPropertiesKHR)vkGetInstanceProcAddr(
	        inst, "vkGetPhysicalDeviceCooperativeMatrixPropertiesKHR");
	uint32_t nd = 0;
	vkEnumeratePhysicalDevices(inst, &nd, NULL);
	VkPhysicalDevice *pds = calloc(nd ? nd : 1, sizeof *pds);
	vkEnumeratePhysicalDevices(inst, &nd, pds);
	for (uint32_t d = 0; d < nd; d++) {
		VkPhysicalDeviceProperties p;
		vkGetPhysicalDeviceProperties(pds[d], &p);
		int khr = has_extension(pds[d], VK_KHR_COOPERATIVE_MATRIX_EXTENSION_NAME);
		int nv2 = has_extension(pds[d], "VK_NV_cooperative_matrix2");
		printf("{\"device\":\"%s\",\"api\":\"%u.%u.%u\",\"driver\":%u,"
		       "\"VK_KHR_cooperative_matrix\":%s,\"VK_NV_cooperative_matrix2\":%s}\n",
		       p.deviceName, VK_API_VERSION_MAJOR(p.apiVersion), VK_API_VERSION_MINOR(p.apiVersion),
		       VK_API_VERSION_PATCH(p.apiVersion), p.driverVersion, khr ? "true" : "false",
		       nv2 ? "true" : "false");
		if (!khr || !props)
			continue;
		uint32_t n = 0;
		if (props(pds[d], &n, NULL) != VK_SUCCESS)
			continue;
		VkCooperativeMatrixPropertiesKHR *c = calloc(n ? n : 1, sizeof *c);
		for (uint32_t i = 0; i < n; i++)
			c[i].sType = VK_STRUCTURE_TYPE_COOPERATIVE_MATRIX_PROPERTIES_KHR;
		if (props(pds[d], &n, c) != VK_SUCCESS)
			n = 0;
		int f32x8 = 0;
		for (uint32_t i = 0; i < n; i++) {
			const char *a = component(c[i].AType), *b = component(c[i].BType),
			           *cc = component(c[i].CType), *res = component(c[i].ResultType);
			printf("{\"device\":\"%s\",\"M\":%u,\"N\":%u,\"K\":%u,\"A\":\"%s\",\"B\":\"%s\","
			       "\"C\":\"%s\",\"result\":\"%s\",\"saturating\":%s,\"scope\":%d}\n",
			       p.deviceName, c[i].MSize, c[i].NSize, c[i].KSize, a ? a : "other",
			       b ? b : "other", cc ? cc : "other", res ? res : "other",
			       c[i].saturatingAccumulation ? "true" : "false", c[i].scope);
			f32x8 |= c[i].MSize == 8 && c[i].NSize == 8 && c[i].KSize == 8 &&
			         c[i].AType == VK_COMPONENT_TYPE_FLOAT32_KHR &&
			         c[i].BType == VK_COMPONENT_TYPE_FLOAT32_KHR;
		}
		printf("{\"device\":\"%s\",\"configurations\":%u,\"has_8x8x8_f32\":%s}\n", p.deviceName, n,
		       f32x8 ? "true" : "false");
		free(c);
	}
	free(pds);
	vkDestroyInstance(inst, NULL);
	return 0;
}
