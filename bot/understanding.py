"""What a resident's message means, read the way people type: pure rules, no I/O.

Elderly residents type the way they talk. These rules recognise, in order of importance:
an emergency (which must never wait in a queue), small talk (which starts no report), a wish to
complain that says nothing yet (vague), short answers to the bot's questions (skip, confirm,
edit, cancel, yes, no), a typed phone number, a typed rating, a follow-up about a filed ticket,
and the place a report names. Recall matters more than precision for emergencies: a false alarm
costs one extra message, a missed one can cost a life.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from enum import StrEnum

from classifiers.segmentation import tokenize
from storage.models import Rating

__all__ = [
    "Emergency",
    "Intent",
    "SmallTalk",
    "emergency",
    "intent",
    "is_follow_up",
    "is_repeat",
    "is_vague",
    "phone_number",
    "place_in",
    "small_talk",
    "typed_rating",
]


def _words(text: str) -> frozenset[str]:
    """A word list written as text, one space between words."""
    return frozenset(text.split())


def bare(text: str) -> str:
    """The text without spaces, punctuation, symbols or emoji, full-width folded, lower case."""
    folded = unicodedata.normalize("NFKC", text).lower()
    return "".join(ch for ch in folded if ch.isalnum())


# --- emergencies ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Emergency:
    """What kind of emergency a message reads as, and the number to call first."""

    kind: str  # gas, fire, trapped, collapse, traffic, suicide, violence, missing, medical
    number: str


# Patterns over the bare text; each a family of ways people say it. Order: first match wins,
# so the more specific families come first (a traffic accident with injuries is still 122).
_PERSON = (
    r"(人|孩子|小孩|娃|老人|老太|老头|老大爷|大爷|大娘|大妈|老爷子|老太太|娘|爹|妈|爸|奶奶|爷爷|姥姥"
    r"|姥爷|闺女|儿子|媳妇|对象|老伴|那口子|邻居|工人|大姐|大哥|小伙|姑娘|学生|同学)"
)
_EMERGENCIES: tuple[tuple[str, str, re.Pattern[str]], ...] = tuple(
    (kind, number, re.compile(pattern))
    for kind, number, pattern in (
        (
            "gas",
            "119",
            r"(煤气|燃气|天然气|液化气|气罐|管道气)\w{0,6}(漏|泄|味|爆|嘶嘶)"
            r"|(漏|泄)\w{0,3}(煤气|燃气|天然气|气)|闻到\w{0,4}(煤气|燃气|天然气|臭鸡蛋)|臭鸡蛋味"
            r"|化工\w{0,8}(漏|泄)|毒气|刺鼻\w{0,12}(头晕|咳|恶心|晕|喘)|(头晕|咳嗽|恶心)\w{0,12}刺鼻",
        ),
        (
            "fire",
            "119",
            r"(?<![打不没])着火|起火|失火|火灾|火情|火警|烧起来|燃起来|烧着了|着起来|冒火|窜火|火苗|火星|明火"
            r"|冒(浓|大)?烟|浓烟|全是烟|好多烟|一屋子烟|呛得|窜烟|烧焦|糊味"
            r"|火(很|太|特别|可)?大|(房子|屋|楼|车|厨房|家里|锅|电动车|电瓶车)\w{0,4}(烧|着)了|爆炸|炸了",
        ),
        (
            "trapped",
            "119",
            r"(困|关|卡|锁)\w{0,3}电梯|电梯\w{0,8}(困|关|卡)(住|了|人)|电梯\w{0,12}(里边|里面|里头)有"
            r"|被困|困住|出不来|出不去|拔不出|卡在\w{0,8}(里|中间|缝)|反锁|(锁|关|困)\w{0,3}车里",
        ),
        (
            "collapse",
            "119",
            r"倒塌|坍塌|塌方|要塌|快塌|(墙|楼|房|屋|顶|棚|桥|架子|脚手架)\w{0,4}(倒|塌)(了|下)|(墙|楼|房)\w{0,8}(往外歪|倾斜|要倒)|埋\w{0,3}(人|住)",
        ),
        (
            "traffic",
            "122",
            r"车祸|撞车|撞人|被车撞|车撞|交通事故|翻车|车翻|翻了\w{0,3}车|追尾|撞到人|撞倒|肇事|逃逸"
            r"|(车|电动车|电瓶车|摩托|三轮|货车|轿车|公交)\w{0,6}(碰|撞|刮|顶|轧|压|翻)"
            r"|(碰|撞|刮|顶)\w{0,3}(一块|一起)了",
        ),
        (
            "suicide",
            "110",
            r"自杀|轻生|寻死|跳楼|跳河|跳湖|往下跳|要跳|不想活|活不下去|想死|寻短见|上吊",
        ),
        (
            "violence",
            "110",
            r"打人|打架|动手|(有|拿|持|拎|带|掏|举|挥|动)\w{0,3}(刀|棍|枪|斧|棒|砖)|刀子|砍人|砍伤"
            r"|捅人|捅伤|杀人|要杀|杀了|(弄|整|打|掐|捅)死|抢劫|抢(东西|钱|包|手机)|(被|让人|让)\w{0,3}抢"
            r"|抢了|抢走|绑架|家暴|被打|打我|打俺|揍|行凶|闹事|砸门|砸东西|撬\w{0,4}(门|锁|窗)|闯进"
            r"|偷(东西|钱)|小偷|贼|跟踪|尾随|威胁|耍流氓|拐卖|拐走|拐跑|被拐|强奸|猥亵|堵\w{0,4}门|喊救命|救命"
            r"|打起来|打成一团|抡|(爬|翻)\w{0,2}(窗|墙|进)|往里爬|一直跟着(我|俺)|咬人"
            r"|(狗|狼狗)\w{0,8}(追着|扑)|(拽|拉|塞|抱)\w{0,3}车里|往\w{0,4}车里(拽|拉|塞)",
        ),
        (
            "missing",
            "110",
            _PERSON + r"\w{0,10}(丢了|走丢|走失|不见了|没回来|没回家|失踪)"
            r"|走失|走丢|老年痴呆\w{0,12}(出门|出去)",
        ),
        (
            "medical",
            "120",
            r"晕倒|昏倒|晕过去|昏过去|昏迷|不省人事|叫不醒|喊不醒|没(了)?(气|呼吸|反应|意识|知觉)"
            r"|不喘气|喘不上|喘不过|上不来气|呼吸困难|憋得|抽搐|抽风|抽了|抽过去|眼\w{0,3}翻|白沫"
            r"|心脏病(犯|发作)|犯了?心脏病|心梗|心口疼|胸口疼|心绞痛|中风了|脑出血|嘴歪|半边身|不会说话"
            r"|说不出话|舌头\w{0,3}(硬|打结|不听)|大出血|(流|出|淌|冒|一地|满\w?|都是)血|血(流|止不住|淌)"
            r"|止不住血|头破|(摔|跌|滚)\w{0,8}(起不来|不能动|动不了|流血|昏|晕|血)|起不来了"
            r"|(躺|倒)\w{0,4}(不动|起不来)|一动不动|不搭理|不应声|溺水|落水|掉(进|到)?\w{0,3}(河|湖|水|井)"
            r"|水里\w{0,4}扑腾|淹|触电|电打|电着|电到|被电|中毒|农药|安眠药"
            r"|(吃|喝|吞)了?\w{0,4}(一整瓶|一瓶|一把|好多|很多|半瓶)\w{0,4}药|吃(了|错)药\w{0,6}(昏|晕|不醒|迷糊)"
            r"|药\w{0,6}吃了\w{0,8}(几片|一瓶|好多|很多)|吃了\w{0,6}(多少|几)片|误食|吞了|卡嗓子|卡喉咙|噎住|一氧化碳|煤烟|割腕|烫伤|烧伤|咬伤|重伤"
            r"|受伤|快不行了|要死了|急救|快来人|羊水|要生了|快生了|难产|破水|高烧\w{0,4}抽"
            r"|开水\w{0,6}(浇|烫|洒)|烫(伤|着|了)|起\w{0,2}大?泡|碰\w{0,3}电|电线\w{0,10}(不动|倒|躺|趴)"
            r"|煤炉|炉子\w{0,12}(头疼|头晕|恶心)|头疼恶心|(掉|摔|跌|坠)\w{0,3}(下去|下来|下楼)了"
            r"|从\w{0,6}(掉|摔|跌)下",
        ),
    )
)


def emergency(text: str) -> Emergency | None:
    """The emergency a message reads as, or None."""
    flat = bare(text)
    for kind, number, pattern in _EMERGENCIES:
        if pattern.search(flat):
            return Emergency(kind, number)
    return None


# --- short answers ----------------------------------------------------------------------------


class Intent(StrEnum):
    """A short answer to the bot's question."""

    SKIP = "skip"
    CONFIRM = "confirm"
    EDIT = "edit"
    CANCEL = "cancel"
    YES = "yes"
    NO = "no"


_PARTICLES = _words("吧 啊 呀 哈 嗯 哦 噢 呢 了 的 啦 哇 请 那 一下 下")
_INTENT_WORDS: dict[Intent, frozenset[str]] = {
    Intent.SKIP: _words(
        """
        跳过 没有 没 不用 不需要 不要 算了 完成 好了 没了 无 就这些 就这样 不方便
        不知道 不清楚 下一步 略过 不发 不留 发完 完了 结束 没照片 没有照片 没拍
        不拍 不用了 没电话
        """
    ),
    Intent.CONFIRM: _words(
        """
        确认 提交 确认提交 确定 好 好的 可以 行 对 对的 是 是的 没问题 没错 发
        发吧 提交吧 就这样 ok okay 嗯嗯 中 妥 同意 没毛病 正确
        """
    ),
    Intent.EDIT: _words(
        """
        修改 改 改一下 改改 重写 重新写 写错 写错了 不对 错了
        """
    ),
    Intent.CANCEL: _words(
        """
        取消 不报 不报了 不提交 不提交了 撤销 撤回 不要了 不弄了 不办了 不反映了
        """
    ),
    Intent.YES: _words(
        """
        是 是的 对 好 好的 可以 行 同意 嗯 嗯嗯 中 留 给
        """
    ),
    Intent.NO: _words(
        """
        不 不是 不用 不要 不同意 不行 不留 不给 算了 别
        """
    ),
}
_LONGEST_ANSWER = 16


def _made_of(flat: str, words: Iterable[str]) -> bool:
    """Whether `flat` is a run of the given words and particles (and nothing else)."""
    vocabulary = sorted({*words, *_PARTICLES}, key=len, reverse=True)
    i = 0
    while i < len(flat):
        for word in vocabulary:
            if flat.startswith(word, i):
                i += len(word)
                break
        else:
            return False
    return bool(flat)


def intent(text: str, *, allowed: Sequence[Intent] = tuple(Intent)) -> Intent | None:
    """The short answer a text gives, among `allowed` (in that order of preference)."""
    flat = bare(text)
    if not flat or len(flat) > _LONGEST_ANSWER:
        return None
    for candidate in allowed:
        if _made_of(flat, _INTENT_WORDS[candidate]):
            return candidate
    return None


# --- small talk ---------------------------------------------------------------------------------


class SmallTalk(StrEnum):
    """A message that is no request."""

    GREETING = "greeting"
    THANKS = "thanks"
    TEST = "test"
    ABOUT_BOT = "about_bot"


_SMALL_TALK: dict[SmallTalk, frozenset[str]] = {
    kind: _words(words)
    for kind, words in (
        (
            SmallTalk.ABOUT_BOT,
            """
            机器人 机器 真人 人工 客服 是谁 谁 怎么用 咋用 咋弄 怎么弄 用 弄 能干
            干啥 干什么 干嘛 有用 有用吗 管用 好使 能用 用不了 不会用 会 不会 不太会
            操作 功能 软件 程序 装 小程序 公众号 这是 什么 啥
                        语音 发语音 发 孙子 装的 好使 管用不
            """,
        ),
        (SmallTalk.TEST, "测试 试试 试一下 试一试 试 test 123 1 11 111 666"),
        (
            SmallTalk.THANKS,
            """
            谢谢 谢谢你们 谢谢你 谢 感谢 多谢 谢啦 辛苦 辛苦了 麻烦你们 点赞 赞 好的
            好 ok 知道 知道了 明白 明白了 收到 嗯嗯 再见 拜拜 满意 很满意 不好意思
            发错 发错了 对不起 抱歉 打扰 打扰了 没事 没事了
                        嗯 中 手滑 点错 点错了 哈哈 呵呵 明白了
            """,
        ),
        (
            SmallTalk.GREETING,
            """
            你好 您好 你们好 大家好 在吗 在不在 在 有人 有人吗 有人没 有没有人 哈喽
            hello hi 早上好 早 早上 上午 上午好 中午 中午好 下午 下午好 晚上
            晚上好 喂
                        在马 同志们 大伙
                        马 们 啥用 干
            """,
        ),
    )
}
_SMALL_TALK_WORDS = frozenset().union(*_SMALL_TALK.values())
# Words that make a message about something to report, however little it says.
_COMPLAINT = _words(
    """
    投诉 反映 反应 举报 问题 事 事情 事儿 情况 诉求 管 不管 没人管 解决
    办 求助 咨询 说个事
    """
)


def small_talk(text: str) -> SmallTalk | None:
    """What kind of small talk a message is (a greeting, thanks, a test, a question about the
    bot), or None when it says anything more or wants to complain."""
    if not bare(text):  # emoji, stickers typed as text, punctuation
        return SmallTalk.THANKS
    if len(bare(text)) > 30:
        return None
    tokens = tokenize(text)
    if any(t in _COMPLAINT for t in tokens):
        return None
    if any(t not in _SMALL_TALK_WORDS and t not in _FILLER for t in tokens):
        return None
    for kind in (SmallTalk.ABOUT_BOT, SmallTalk.TEST, SmallTalk.THANKS, SmallTalk.GREETING):
        if any(t in _SMALL_TALK[kind] for t in tokens):
            return kind
    return None


# --- vague: a wish to complain that says nothing yet ------------------------------------------

_FILLER = _words(
    """
    我 俺 咱 咱们 我们 俺们 你 您 你们 恁 他 她 他们 人
    大家 老百姓 群众 居民 同志 领导 政府 要 想 想要 要求 请 请问 麻烦
    帮 帮忙 帮我 帮帮 帮帮忙 给 看 看看 看一看 瞧瞧 问 问问 问一下 一下
    下 说 说说 讲 讲讲 反映 反应 投诉 举报 咨询 建议 意见 诉求 求助
    求 申请 提 提个 提意见 问题 情况 事情 事 事儿 点 件 个 一个
    一件 一些 些 有 没有 没 没人 不 是 在 的 了 吗 呢
    啊 吧 呀 哈 嘛 么 哦 嗯 和 跟 与 也 都 就
    又 还 还是 很 太 真 真的 特别 非常 这 那 这个 那个 这边
    那边 这里 那里 这儿 那儿 我家 俺家 咱家 家 里 边 到底 究竟 归
    谁 管 不管 管不管 管管 没人管 怎么 咋 咋办 怎么办 啥 什么 为什么 为啥
    能 能不能 不能 可以 可不可以 处理 解决 答复 回复 办 办理 关于 相关 部门
    单位 地方 现在 今天 一直 好 好几 多次 几次 次 好久 很久 老是 总是
    你好 您好 在吗 谢谢 急 着急 着急了 紧急 重要 一件事 个事 点事 说个事 有点
    有个 有件 遇到 碰到 碰上 这种 那种 这样 那样 如何 怎样 该 应该 该不该
    找 找谁 打 电话 打电话 号码 心 烦 气 气人 生气 无语 受不了 不行
    不好 不对 太差 差 行不行 为民 服务 关心 帮助 一直没 没有人 谁管 归谁 归谁管
    之前 以前 上次 上回 说好 到 到现在 求求 有没有 好几回 好几遍 回 遍 一回
    几回 要说 知道 不知道 上 那天 哪天 必须 说法 给个 实名 信 信儿 消息
    一定 务必 希望 尽快 赶紧 快点 马上 立即 拜托 恳请 谢谢你们
    当官 当官的 干事 不干事 气死 踢皮球 冤屈 冤 哪个 咨询点 老大难 好几年 几年 年 都不 这些
    那些 刚才 刚刚
    """
)


def is_vague(text: str) -> bool:
    """Whether a message only says that the person wants to complain or ask, with nothing about
    what happened or where (such a text must not be auto-routed)."""
    content = [
        t
        for t in tokenize(text)
        if t not in _FILLER and t not in _SMALL_TALK_WORDS and not t.isdigit()
    ]
    return sum(len(t) for t in content) <= 1


# --- phone numbers, ratings, follow-ups, repeats ---------------------------------------------

_MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
_LANDLINE = re.compile(r"(?<!\d)0\d{2,3}-?\d{7,8}(?!\d)")


def phone_number(text: str) -> str | None:
    """A mobile or landline number typed in the text (spaces and dashes allowed), or None."""
    compact = re.sub(r"[\s\u3000]", "", unicodedata.normalize("NFKC", text))
    found = _MOBILE.search(compact.replace("-", "")) or _LANDLINE.search(compact)
    return found.group(0) if found else None


_RATINGS: tuple[tuple[Rating, tuple[str, ...]], ...] = (
    (
        Rating.UNSATISFIED,
        (
            "不满意",
            "很不满意",
            "非常不满意",
            "不太满意",
            "没解决",
            "没有解决",
            "没修好",
            "还没修",
            "没弄好",
            "没办好",
            "不行",
            "差评",
            "不好",
        ),
    ),
    (Rating.BASICALLY, ("基本满意", "还行", "还可以", "一般", "凑合", "马马虎虎", "还算满意")),
    (Rating.SATISFIED, ("满意", "很满意", "非常满意", "挺满意", "特别满意", "十分满意", "好评")),
)


def typed_rating(text: str) -> tuple[Rating, str] | None:
    """A rating typed instead of pressed (满意 / 基本满意 / 不满意 and the like), with the rest
    of the text as the reason; None when the text does not start with one."""
    flat = bare(text)
    for rating, words in _RATINGS:
        for word in sorted(words, key=len, reverse=True):
            if (
                flat.startswith(word)
                or flat.startswith("我" + word)
                or flat.startswith("俺" + word)
            ):
                rest = text.strip() if len(flat) > len(word) + 1 else ""
                return rating, rest
    return None


_FOLLOW_UP = re.compile(
    r"什么时候|啥时候|几时|多久|多长时间|进展|进度|结果呢|怎么样了|咋样了|怎么还没|咋还没|还没(有)?"
    r"(来|修|人|处理|回|答复|动静|消息)|有人来吗|来人了吗|管了吗|处理了吗|修了吗|有结果|对了|还有|另外"
    r"|补充|忘了说|再说一下|再补充|刚才|刚刚|上次|我刚|我反映的|我说的"
)


# How a question is asked (咨询): a question mark, a question particle or a question word.
_QUESTION = re.compile(
    r"[?？]|吗|呢$|怎么|怎样|如何|哪里|哪儿|在哪|哪些|哪个|什么|多少|能不能|可不可以|是否|要不要|需不需要|请问"
)


def is_question(text: str) -> bool:
    """Whether a message is asked as a question (the knowledge base may answer it); a
    complaint told as a statement is not, however close its subject."""
    return bool(_QUESTION.search(text.strip()))


def is_follow_up(text: str) -> bool:
    """Whether a message reads as a question about, or an addition to, a request already made."""
    return bool(_FOLLOW_UP.search(bare(text)))


def is_repeat(text: str, earlier: str) -> bool:
    """Whether `text` is (nearly) the same as `earlier`: sent again, not a new answer."""
    a, b = bare(text), bare(earlier)
    if not a or not b:
        return False
    if len(a) >= 6 and a in b:  # a part of what was already said
        return True
    return a == b or (min(len(a), len(b)) >= 8 and SequenceMatcher(None, a, b).ratio() >= 0.85)


# --- places -------------------------------------------------------------------------------------

_NOT_PLACE = "在住是的了到从往去来我你他她俺咱家里边和跟与及或这那个就也都说讲反映投诉问题我们条"
_PLACE_SUFFIX = (
    "小区|花园|家园|公寓|新村|新城|社区|村委会|村|苑|府|名城|广场|大厦|小学|中学|幼儿园|医院|卫生院"
    "|公园|街道|镇|路|街|大街|大道|巷|胡同"
)
_SIDE = (
    "东门|西门|南门|北门|正门|大门|门口|路口|对面|旁边|附近|东边|西边|南边|北边|东侧|西侧|南侧|北侧"
)
_PLACE = re.compile(
    rf"[^\s\d{_NOT_PLACE}，。！？、,.!?；;：:（）()]{{2,6}}?(?:{_PLACE_SUFFIX})"
    r"(?:\d+(?:号楼|栋|幢|号|单元|室|层|楼)){0,3}"
    rf"(?:{_SIDE})?"
)
_LANDMARK = re.compile(
    rf"(?:菜市场|农贸市场|市场|超市|学校|小学|中学|幼儿园|医院|卫生院|公园|广场|村委会|居委会|管委会)(?:{_SIDE})"
)
_TAIL = re.compile(rf"(?:\d+(?:号楼|栋|幢|号|单元|室|层|楼))*(?:{_SIDE})?")
_BUILDING = re.compile(r"\d+(?:号楼|栋|幢|单元)(?:\d+(?:单元|室|号|层)?)*")


def place_in(text: str, gazetteer: Sequence[str] = ()) -> str | None:
    """The place a report names (the district's own place names first, then estates, roads,
    buildings and landmarks by their form), or None when it names none."""
    folded = unicodedata.normalize("NFKC", text)
    found: list[tuple[int, str]] = []
    for name in sorted(gazetteer, key=len, reverse=True):
        at = folded.find(name)
        if at >= 0 and not any(start <= at < start + len(s) for start, s in found):
            tail = _TAIL.match(folded, at + len(name))
            found.append((at, name + (tail.group(0) if tail else "")))
    for pattern in (_PLACE, _LANDMARK):
        for match in pattern.finditer(folded):
            span = match.group(0)
            if not any(span in s or s in span for _, s in found):
                found.append((match.start(), span))
    if not found:
        building = _BUILDING.search(folded)
        return building.group(0) if building else None
    return "，".join(s for _, s in sorted(found))[:200]
