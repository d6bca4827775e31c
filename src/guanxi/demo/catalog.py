"""Word lists for demo data: names, cities, stores, products and what customers say.

Written for Guanxi (not copied from a data set). Weights are rough shares, not
statistics; they only make the demo look like a Chinese tea brand's customers.
"""

from __future__ import annotations

__all__ = [
    "CITIES",
    "CITIES_EN",
    "COMPLAINTS",
    "COMPLAINTS_EN",
    "EN_FAMILY",
    "EN_FEMALE",
    "EN_MALE",
    "GIVEN_FEMALE",
    "GIVEN_MALE",
    "MOBILE_PREFIXES",
    "PRODUCTS",
    "REVIEWS_BAD",
    "REVIEWS_BAD_EN",
    "REVIEWS_GOOD",
    "REVIEWS_GOOD_EN",
    "STORES",
    "STREETS",
    "STREETS_EN",
    "SURNAMES",
    "TAGS",
]

# (surname, pinyin, weight): the hundred most common surnames, roughly by share.
SURNAMES: list[tuple[str, str, float]] = [
    ("王", "wang", 7.1), ("李", "li", 7.0), ("张", "zhang", 6.7), ("刘", "liu", 5.4),
    ("陈", "chen", 4.5), ("杨", "yang", 3.1), ("黄", "huang", 2.6), ("赵", "zhao", 2.3),
    ("吴", "wu", 2.0), ("周", "zhou", 1.9), ("徐", "xu", 1.5), ("孙", "sun", 1.5),
    ("马", "ma", 1.4), ("朱", "zhu", 1.3), ("胡", "hu", 1.3), ("郭", "guo", 1.2),
    ("何", "he", 1.2), ("林", "lin", 1.1), ("高", "gao", 1.1), ("罗", "luo", 1.0),
    ("郑", "zheng", 0.9), ("梁", "liang", 0.9), ("谢", "xie", 0.8), ("宋", "song", 0.7),
    ("唐", "tang", 0.7), ("许", "xu", 0.7), ("韩", "han", 0.6), ("冯", "feng", 0.6),
    ("邓", "deng", 0.6), ("曹", "cao", 0.6), ("彭", "peng", 0.6), ("曾", "zeng", 0.5),
    ("肖", "xiao", 0.5), ("田", "tian", 0.5), ("董", "dong", 0.5), ("潘", "pan", 0.4),
    ("袁", "yuan", 0.4), ("蔡", "cai", 0.4), ("蒋", "jiang", 0.4), ("余", "yu", 0.4),
    ("于", "yu", 0.4), ("杜", "du", 0.4), ("叶", "ye", 0.4), ("程", "cheng", 0.4),
    ("魏", "wei", 0.3), ("苏", "su", 0.3), ("吕", "lv", 0.3), ("丁", "ding", 0.3),
    ("任", "ren", 0.3), ("卢", "lu", 0.3), ("姚", "yao", 0.3), ("沈", "shen", 0.3),
    ("钟", "zhong", 0.3), ("姜", "jiang", 0.3), ("崔", "cui", 0.3), ("谭", "tan", 0.3),
    ("陆", "lu", 0.3), ("范", "fan", 0.2), ("汪", "wang", 0.2), ("廖", "liao", 0.2),
    ("石", "shi", 0.2), ("金", "jin", 0.2), ("韦", "wei", 0.2), ("贾", "jia", 0.2),
    ("夏", "xia", 0.2), ("付", "fu", 0.2), ("方", "fang", 0.2), ("邹", "zou", 0.2),
    ("熊", "xiong", 0.2), ("白", "bai", 0.2), ("孟", "meng", 0.2), ("秦", "qin", 0.2),
    ("邱", "qiu", 0.2), ("侯", "hou", 0.2), ("江", "jiang", 0.2), ("尹", "yin", 0.2),
    ("薛", "xue", 0.2), ("闫", "yan", 0.2), ("段", "duan", 0.1), ("雷", "lei", 0.1),
    ("龙", "long", 0.1), ("黎", "li", 0.1), ("史", "shi", 0.1), ("陶", "tao", 0.1),
    ("贺", "he", 0.1), ("毛", "mao", 0.1), ("郝", "hao", 0.1), ("顾", "gu", 0.1),
    ("龚", "gong", 0.1), ("邵", "shao", 0.1), ("万", "wan", 0.1), ("钱", "qian", 0.1),
    ("严", "yan", 0.1), ("欧阳", "ouyang", 0.05), ("上官", "shangguan", 0.02),
    ("司马", "sima", 0.02),
]  # fmt: skip

# (given name, pinyin)
GIVEN_FEMALE: list[tuple[str, str]] = [
    ("芳", "fang"), ("娜", "na"), ("敏", "min"), ("静", "jing"), ("丽", "li"),
    ("艳", "yan"), ("娟", "juan"), ("霞", "xia"), ("秀英", "xiuying"),
    ("桂英", "guiying"), ("婷", "ting"), ("雪", "xue"), ("慧", "hui"), ("颖", "ying"),
    ("琳", "lin"), ("晶", "jing"), ("欣怡", "xinyi"), ("雨涵", "yuhan"),
    ("梓涵", "zihan"), ("诗琪", "shiqi"), ("思雨", "siyu"), ("子涵", "zihan"),
    ("佳怡", "jiayi"), ("欣然", "xinran"), ("美琳", "meilin"), ("晓燕", "xiaoyan"),
    ("玉兰", "yulan"), ("海燕", "haiyan"), ("丹", "dan"), ("倩", "qian"),
    ("萍", "ping"), ("红", "hong"), ("玲", "ling"), ("凤", "feng"), ("洁", "jie"),
    ("梦琪", "mengqi"), ("若曦", "ruoxi"), ("一诺", "yinuo"), ("语桐", "yutong"),
    ("静怡", "jingyi"), ("晓雯", "xiaowen"), ("文静", "wenjing"), ("春梅", "chunmei"),
    ("淑华", "shuhua"), ("月华", "yuehua"), ("可馨", "kexin"), ("紫萱", "zixuan"),
]  # fmt: skip
GIVEN_MALE: list[tuple[str, str]] = [
    ("伟", "wei"), ("强", "qiang"), ("磊", "lei"), ("军", "jun"), ("洋", "yang"),
    ("勇", "yong"), ("杰", "jie"), ("涛", "tao"), ("明", "ming"), ("超", "chao"),
    ("刚", "gang"), ("平", "ping"), ("辉", "hui"), ("鹏", "peng"), ("华", "hua"),
    ("飞", "fei"), ("鑫", "xin"), ("波", "bo"), ("斌", "bin"), ("宇", "yu"),
    ("浩", "hao"), ("凯", "kai"), ("健", "jian"), ("俊", "jun"), ("帆", "fan"),
    ("旭", "xu"), ("宁", "ning"), ("浩然", "haoran"), ("子轩", "zixuan"),
    ("宇轩", "yuxuan"), ("俊杰", "junjie"), ("志强", "zhiqiang"), ("建华", "jianhua"),
    ("建国", "jianguo"), ("国强", "guoqiang"), ("文博", "wenbo"), ("天佑", "tianyou"),
    ("晨阳", "chenyang"), ("一鸣", "yiming"), ("家豪", "jiahao"), ("明轩", "mingxuan"),
    ("博文", "bowen"), ("志明", "zhiming"), ("海涛", "haitao"), ("立新", "lixin"),
    ("振华", "zhenhua"), ("嘉懿", "jiayi"), ("睿", "rui"),
]  # fmt: skip
EN_FEMALE = [
    "Emily", "Olivia", "Sophia", "Grace", "Chloe", "Emma", "Hannah", "Lily",
    "Amelia", "Zoe", "Sarah", "Anna", "Vivian", "Cathy", "Sherry", "Winnie",
]  # fmt: skip
EN_MALE = [
    "James", "Michael", "David", "Daniel", "Thomas", "William", "Oliver", "Henry",
    "Lucas", "Jack", "Kevin", "Eric", "Tony", "Frank", "Leo", "Jason",
]  # fmt: skip
EN_FAMILY = [
    "Smith", "Johnson", "Brown", "Taylor", "Wilson", "Davies", "Miller", "Clarke",
    "Walker", "Wright", "Chen", "Wang", "Li", "Zhang", "Lin", "Wong", "Lee", "Ng",
]  # fmt: skip

# (city, weight, districts). Municipalities and big tea-drinking cities.
CITIES: list[tuple[str, float, list[str]]] = [
    ("上海", 14, ["徐汇区", "浦东新区", "静安区", "黄浦区", "长宁区", "闵行区"]),
    ("北京", 12, ["朝阳区", "海淀区", "东城区", "西城区", "丰台区"]),
    ("广州", 8, ["天河区", "越秀区", "海珠区", "番禺区"]),
    ("深圳", 8, ["南山区", "福田区", "罗湖区", "宝安区"]),
    ("杭州", 8, ["西湖区", "上城区", "拱墅区", "滨江区"]),
    ("成都", 6, ["锦江区", "武侯区", "青羊区", "高新区"]),
    ("南京", 5, ["鼓楼区", "玄武区", "秦淮区", "建邺区"]),
    ("苏州", 5, ["姑苏区", "工业园区", "吴中区"]),
    ("武汉", 4, ["江汉区", "武昌区", "洪山区"]),
    ("西安", 4, ["雁塔区", "碑林区", "未央区"]),
    ("重庆", 4, ["渝中区", "江北区", "南岸区"]),
    ("天津", 3, ["和平区", "南开区", "河西区"]),
    ("长沙", 3, ["岳麓区", "芙蓉区", "天心区"]),
    ("厦门", 3, ["思明区", "湖里区"]),
    ("福州", 3, ["鼓楼区", "台江区"]),
    ("青岛", 3, ["市南区", "崂山区"]),
    ("昆明", 2, ["五华区", "盘龙区"]),
    ("宁波", 2, ["海曙区", "鄞州区"]),
]
STREETS = [
    "中山路", "人民路", "解放路", "建设路", "南京西路", "淮海中路", "长安街",
    "文三路", "天府大道", "延安路", "和平路", "新华路", "光明路", "滨江大道",
    "青年路", "朝阳路", "学院路", "东风路", "湖滨路", "复兴路",
]  # fmt: skip

# (name, city or "" for online, channel)
STORES: list[tuple[str, str, str]] = [
    ("上海徐汇店", "上海", "store"), ("上海静安店", "上海", "store"),
    ("北京朝阳店", "北京", "store"), ("北京海淀店", "北京", "store"),
    ("广州天河店", "广州", "store"), ("深圳南山店", "深圳", "store"),
    ("杭州西湖店", "杭州", "store"), ("成都锦江店", "成都", "store"),
    ("南京新街口店", "南京", "store"), ("苏州观前店", "苏州", "store"),
    ("线上商城", "", "online"), ("天猫旗舰店", "", "tmall"),
    ("微信小程序", "", "wechat"),
]  # fmt: skip

# (sku, name, category, price in CNY)
PRODUCTS: list[tuple[str, str, str, str]] = [
    ("GT-LJ-50", "西湖龙井 明前特级 50g", "绿茶", "268.00"),
    ("GT-BLC-100", "洞庭碧螺春 100g", "绿茶", "168.00"),
    ("GT-MF-100", "黄山毛峰 100g", "绿茶", "98.00"),
    ("GT-XY-100", "信阳毛尖 100g", "绿茶", "88.00"),
    ("GT-AJ-50", "安吉白茶 50g", "绿茶", "198.00"),
    ("BT-QM-100", "祁门红茶 100g", "红茶", "128.00"),
    ("BT-ZS-100", "正山小种 100g", "红茶", "158.00"),
    ("BT-JJM-50", "金骏眉 50g", "红茶", "368.00"),
    ("BT-DH-200", "滇红工夫 200g", "红茶", "88.00"),
    ("OT-TGY-100", "安溪铁观音 100g", "乌龙茶", "138.00"),
    ("OT-DHP-100", "武夷大红袍 100g", "乌龙茶", "288.00"),
    ("OT-DC-100", "凤凰单丛 100g", "乌龙茶", "198.00"),
    ("OT-DD-100", "冻顶乌龙 100g", "乌龙茶", "168.00"),
    ("PE-SHU-357", "普洱熟茶饼 357g", "普洱茶", "238.00"),
    ("PE-SHENG-357", "普洱生茶饼 357g", "普洱茶", "298.00"),
    ("WT-YZ-50", "白毫银针 50g", "白茶", "328.00"),
    ("WT-BMD-100", "白牡丹 100g", "白茶", "158.00"),
    ("WT-SM-200", "福鼎寿眉 200g", "白茶", "98.00"),
    ("FT-MLH-100", "茉莉花茶 100g", "花茶", "58.00"),
    ("FT-GH-100", "桂花乌龙 100g", "花茶", "78.00"),
    ("TW-GW-01", "青瓷盖碗", "茶具", "128.00"),
    ("TW-ZSH-01", "宜兴紫砂壶", "茶具", "580.00"),
    ("TW-GDB-01", "玻璃公道杯", "茶具", "48.00"),
    ("TW-LX-01", "旅行茶具套装", "茶具", "198.00"),
    ("TW-CP-01", "竹制茶盘", "茶具", "268.00"),
    ("GB-LJ-01", "龙井礼盒", "礼盒", "598.00"),
    ("GB-ZQ-01", "中秋茶礼", "礼盒", "888.00"),
    ("GB-XC-01", "新春礼盒", "礼盒", "1288.00"),
    ("GB-PJ-01", "品鉴小样组合", "礼盒", "99.00"),
]

# (prefix digits). Real mainland mobile prefixes (China Mobile, Unicom, Telecom).
MOBILE_PREFIXES = [
    "130", "131", "132", "133", "134", "135", "136", "137", "138", "139",
    "150", "151", "152", "153", "155", "156", "157", "158", "159",
    "166", "173", "175", "176", "177", "178",
    "180", "181", "182", "183", "184", "185", "186", "187", "188", "189",
    "191", "198", "199",
]  # fmt: skip

REVIEWS_GOOD = [
    "茶香浓郁，回甘明显，会回购。",
    "包装精美，送人很有面子。",
    "发货快，包装严实，茶叶很新鲜。",
    "店员很专业，推荐的乌龙茶很好喝。",
    "性价比高，一直在这家买。",
    "礼盒很漂亮，爸妈很喜欢。",
]
REVIEWS_BAD = [
    "味道一般，和描述不符。",
    "茶叶不新鲜，不值这个价。",
    "茶叶碎末太多，有点失望。",
]
COMPLAINTS = [
    "收到的茶叶受潮了，要求退换。",
    "物流太慢，等了一个多星期。",
    "礼盒有破损，送人很尴尬。",
    "门店店员态度不好。",
    "一笔订单被扣了两次款。",
    "会员积分没有到账。",
    "发错了商品，请给我换货。",
]

# The same texts for a demo in English (``guanxi demo --locale en``): the same
# number of each, so a seed picks the same kind of text in both languages.
REVIEWS_GOOD_EN = [
    "Rich aroma and a sweet aftertaste, will buy again.",
    "Beautifully packed, a gift to be proud of.",
    "Lovely tea, arrived quickly and well packed.",
    "The staff knew their teas; the oolong they suggested is excellent.",
    "Good value, I always buy here.",
    "Great gift box, my parents loved it.",
]
REVIEWS_BAD_EN = [
    "Average taste, not as described.",
    "The tea tasted stale, not worth the price.",
    "Too much broken leaf, a bit disappointing.",
]
COMPLAINTS_EN = [
    "The tea arrived damp; I want it replaced.",
    "Delivery was far too slow, more than a week.",
    "The gift box was damaged, embarrassing to give.",
    "The shop assistant was rude.",
    "Charged twice for one order.",
    "My membership points never arrived.",
    "Wrong item delivered, please exchange.",
]
#: Cities and districts in English, in the order of ``CITIES``.
CITIES_EN: dict[str, tuple[str, list[str]]] = {
    "上海": ("Shanghai", ["Xuhui", "Pudong", "Jing'an", "Huangpu", "Changning", "Minhang"]),
    "北京": ("Beijing", ["Chaoyang", "Haidian", "Dongcheng", "Xicheng", "Fengtai"]),
    "广州": ("Guangzhou", ["Tianhe", "Yuexiu", "Haizhu", "Panyu"]),
    "深圳": ("Shenzhen", ["Nanshan", "Futian", "Luohu", "Bao'an"]),
    "杭州": ("Hangzhou", ["Xihu", "Shangcheng", "Gongshu", "Binjiang"]),
    "成都": ("Chengdu", ["Jinjiang", "Wuhou", "Qingyang", "Gaoxin"]),
    "南京": ("Nanjing", ["Gulou", "Xuanwu", "Qinhuai", "Jianye"]),
    "苏州": ("Suzhou", ["Gusu", "Industrial Park", "Wuzhong"]),
    "武汉": ("Wuhan", ["Jianghan", "Wuchang", "Hongshan"]),
    "西安": ("Xi'an", ["Yanta", "Beilin", "Weiyang"]),
    "重庆": ("Chongqing", ["Yuzhong", "Jiangbei", "Nan'an"]),
    "天津": ("Tianjin", ["Heping", "Nankai", "Hexi"]),
    "长沙": ("Changsha", ["Yuelu", "Furong", "Tianxin"]),
    "厦门": ("Xiamen", ["Siming", "Huli"]),
    "福州": ("Fuzhou", ["Gulou", "Taijiang"]),
    "青岛": ("Qingdao", ["Shinan", "Laoshan"]),
    "昆明": ("Kunming", ["Wuhua", "Panlong"]),
    "宁波": ("Ningbo", ["Haishu", "Yinzhou"]),
}  # fmt: skip
STREETS_EN = [
    "Zhongshan Road", "Renmin Road", "Jiefang Road", "Jianshe Road",
    "West Nanjing Road", "Middle Huaihai Road", "Chang'an Avenue", "Wensan Road",
    "Tianfu Avenue", "Yan'an Road", "Heping Road", "Xinhua Road", "Guangming Road",
    "Binjiang Avenue", "Qingnian Road", "Chaoyang Road", "Xueyuan Road",
    "Dongfeng Road", "Hubin Road", "Fuxing Road",
]  # fmt: skip
TAGS = ["VIP", "茶会会员", "企业客户", "公众号粉丝", "老客户"]
